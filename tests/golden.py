"""A safe-mode push encrypted once with WeChatCrypto (token "testtoken", appid
wxtest00000001, key TEST_AES_KEY): the text "帮助" from oGolden0001."""
TIMESTAMP = "1764468000"
NONCE = "golden01"
ENCRYPT = "cRk17h2R64ypUDhd7Nd0cusy7073y0PH5+8LEUxp6q+JTIXqhgiBe2FSNCpp/wPNuuNDmbQ2BAHWkxPZYAOMcefyec3CkmPBFReK4oRPa11rbN0wXOpJ2kbB0hE2Um0PkIdnnt5GbE+CuMSPARh/JxZ0kekJZJUkk2YyNVMWE0R9tE2xjWNY7Hy/11Tl1Z8o+dQ0N8RwRcZmhI3V7zm6ep/8cNVgZ28ZSMy/1YfAgl3jF9+2WAPB2va9VrLG08YQzgscjrIGferWabBcIxD4/ent1pU6NISAlzhypjeUPaTFzUDqBsMsRfQ9cJASW3eJ9oszMPhSH8AimQzzZVddpYj74sKCgCkmrXp0StANqu2iYgkMPdpFoTW4Rn3xoPML"
MSG_SIGNATURE = "8af6eb4d99841d255bf714f57b7b87a2574b8079"
