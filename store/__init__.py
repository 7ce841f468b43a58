"""Twork's domain: peewee models, the rules of the product and the queries over them.

Nothing here imports Flask or wechatpy: the chat, the API, the pages and the jobs all
call these functions, so every rule is written once.
"""
