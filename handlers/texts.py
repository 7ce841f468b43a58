"""Every user-visible chat string lives here, so wording changes never touch logic and
tests assert on these names instead of copying the Chinese."""

WELCOME = ("欢迎关注 Twork 任务协作！\n"
           "1. 请向管理员索取绑定码，然后发送：绑定 绑定码\n"
           "2. 或点击菜单「我的 → 登录」，用账号、密码和客户代码登录\n"
           "绑定后发送「帮助」查看全部命令。")
WELCOME_BACK = "欢迎回来，{name}！通知已恢复。发送「待办」查看你的任务。"
NEED_BIND = ("你还没有绑定 Twork 账号。\n"
             "发送：绑定 绑定码（向管理员索取），\n"
             "或点击菜单「我的 → 登录」。发送「帮助」查看命令。")
UNKNOWN_MENU = "这个菜单暂时不可用，请发送「帮助」查看可用命令。"
ONLY_TEXT = "目前只支持文字和语音消息。发送「帮助」查看命令。"
DIALOG_EXPIRED = "（上一次的对话已超过10分钟，已自动结束）"
SORRY = "抱歉，系统出了点问题，请稍后再试。问题已记录。"
HINT = "没看懂「{text}」。\n发送「帮助」查看命令，例如：待办、新建 标题 明天18:00"
HINT_EMPTY = "请发送命令，例如「待办」。发送「帮助」查看全部命令。"
HELP_HEADER = "Twork 命令（中英文均可，N 为列表序号或 #任务号）："
HELP_FOOTER = "提示：先发「待办」，再用「完成 1」处理第1条。"
MORE = "…还有 {n} 条"
