"""Every user-visible chat string lives here, so wording changes never touch logic and
tests assert on these names instead of copying the Chinese."""

WELCOME = ("欢迎关注 Twork 任务协作！\n"
           "1. 请向管理员索取绑定码，然后发送：绑定 绑定码\n"
           "2. 或点击菜单「我的 → 登录页」，用账号、密码和客户代码登录\n"
           "绑定后发送「帮助」查看全部命令。")
WELCOME_BACK = "欢迎回来，{name}！通知已恢复。发送「待办」查看你的任务。"
NEED_BIND = ("你还没有绑定 Twork 账号。\n"
             "发送：绑定 绑定码（向管理员索取），\n"
             "或点击菜单「我的 → 登录页」。发送「帮助」查看命令。")
UNKNOWN_MENU = "这个菜单暂时不可用，请发送「帮助」查看可用命令。"
ONLY_TEXT = "目前只支持文字和语音消息。发送「帮助」查看命令。"
DIALOG_EXPIRED = "（上一次的对话已超过10分钟，已自动结束）"
DIALOG_LEFT = "（已退出刚才的对话）"
VOICE_EMPTY = "没有听清这条语音（识别结果为空），请再说一遍或直接打字。"
SORRY = "抱歉，系统出了点问题，请稍后再试。问题已记录。"
NOTHING_DONE = "抱歉，系统暂时无法处理，这条消息没有执行任何操作，请稍后重发。"
DIALOG_UNAVAILABLE = ("分步引导的对话暂时不可用。请一次发完整命令，"
                      "例如：新建 核对到货 @李四 明天18:00")
BUSY = "上一条消息还在处理中，这条没有执行，请稍后重发。"
HINT = "没看懂「{text}」。\n发送「帮助」查看命令，例如：待办、新建 标题 明天18:00"
HINT_EMPTY = "请发送命令，例如「待办」。发送「帮助」查看全部命令。"
HELP_HEADER = "Twork 命令（中英文均可，N 为列表序号或 #任务号）："
HELP_FOOTER = "发「帮助 命令」看说明，如「帮助 转办」。先发「待办」，再「完成 1」。"
# 帮助 groups commands by the handler module that answers them, in ROUTES order.
HELP_GROUPS = {"handlers.binding": "账号", "handlers.todo": "列表", "handlers.tasks": "办理",
               "handlers.extensions": "延期", "handlers.late": "延期", "handlers.new_task": "新建",
               "handlers.projects": "项目", "handlers.messages": "消息", "handlers.leaves": "请假",
               "handlers.me": "我的", "handlers.profile": "我的", "handlers.news": "公告",
               "handlers.help": "帮助"}
HELP_OTHER = "其他"
HELP_UNKNOWN = "没有「{text}」这个命令。发「帮助」查看全部命令。"
MORE = "…还有 {n} 条"
ELLIPSIS = "…"

# --- wording of values -------------------------------------------------------------------
PRIORITY = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}
STATUS = {"in_progress": "进行中", "done": "已完成"}
NODE_STATE = {"pending": "未开始", "active": "待处理", "started": "处理中", "done": "已完成"}
OVERDUE = "⚠已过期"
NO_DUE = "无截止"
ANNOUNCEMENT_KIND = {"system": "系统公告", "industry": "行业资讯", "feature": "新功能"}
GENDER = {"male": "男", "female": "女", "m": "男", "f": "女", "男": "男", "女": "女"}
UNREAD = "●"
PENDING_MARK = "📌"
LOG_ACTION = {"create": "创建了任务", "start": "开始处理", "complete": "完成了第{seq}步",
              "transfer": "转办给{to_name}", "rollback": "回退：{reason}",
              "withdraw": "撤回了第{seq}步", "urge": "催办（已等{waited}）", "comment": "评论：{body}",
              "edit": "修改了任务", "move": "移动了任务", "copy": "复制了任务", "delete": "删除了任务",
              "archive": "归档了任务", "erp_repeat": "：ERP再次推送（第{occurrences}次）"}
ACTION_HINT = {"start": "开始 {ref}", "complete": "完成 {ref}", "transfer": "转办 {ref} @某人",
               "rollback": "回退 {ref} 原因", "withdraw": "撤回 {ref}", "urge": "催办 {ref}",
               "comment": "评论 {ref} 内容"}

# --- binding -----------------------------------------------------------------------------
BIND_USAGE = "请发送：绑定 绑定码（8位，向管理员索取，24小时内有效）"
BOUND = "绑定成功！你好，{name}（{company}）。\n发送「待办」查看任务，「帮助」查看全部命令。"
SCAN_BIND_FAILED = "二维码已失效或已被使用，请让管理员重新生成绑定二维码。"
BIND_FAILED = "绑定码无效或已过期，请核对后重试（1小时内还可尝试 {left} 次）。"
BIND_LOCKED = "错误次数过多，请1小时后再试，或联系管理员重新生成绑定码。"
UNBOUND = "已解绑，不会再收到 Twork 通知。需要时发送「绑定 绑定码」重新绑定。"
NOT_BOUND = "你还没有绑定账号，无需解绑。"
DIGEST_ON = "已订阅每日摘要：每天早上汇总一条，不再逐条打扰。发送「退订摘要」取消。"
DIGEST_OFF = "已退订每日摘要，提醒将逐条发送。发送「订阅摘要」重新订阅。"

# --- references ----------------------------------------------------------------------------
REF_USAGE = "请写明任务：序号（最近列表中的第几条）或 #任务号，例如「{command} 1」或「{command} #12」。"
REF_STALE = "第 {n} 条不在你最近查看的任务列表里（列表可能已更新）。请先发「待办」，再按序号操作，或用 #任务号。"
MESSAGE_REF_USAGE = "请写明消息序号，例如「{command} 1」。先发「消息」查看列表。"
MESSAGE_REF_STALE = "第 {n} 条不在你最近查看的消息列表里。请先发「消息」或「待处理」。"

# --- lists -----------------------------------------------------------------------------------
TODO_HEADER = "我的待办 {total} 条{overdue}："
TODO_OVERDUE = "（⚠{n} 条已过期，排在前面）"
TODO_EMPTY = "暂无待办 🎉\n发送「新建 标题 明天18:00」创建任务。"
TODO_FOOTER = "发「详情 1」查看，「完成 1」办结第1条。"
DONE_HEADER = "我办过的任务 {total} 条："
WATCHED_HEADER = "我关注的任务 {total} 条："
WATCHED_EMPTY = "你还没有关注的任务。任务的创建人或管理员可以把你加为关注人。"
DONE_EMPTY = "还没有办过的任务。发送「待办」看看要做什么。"
CREATED_HEADER = "我创建的任务 {total} 条："
CREATED_EMPTY = "你还没有创建任务。发送「新建」开始。"
LIST_FOOTER = "发「详情 N」查看第N条。"
TASK_LINE = "{n}. #{number} {title} · {due}{overdue}"
TASK_LINE_STATUS = "{n}. #{number} {title} · {status} · {due}"

# --- task details and actions --------------------------------------------------------------
DETAIL_HEAD = "#{number} {title}\n项目：{project}\n截止：{due}{overdue}\n优先级：{priority}　状态：{status}"
DETAIL_CREATOR = "创建人：{name}"
DETAIL_FLOW = "流程："
DETAIL_NODE = "{mark}{seq}. {handler}{original} · {state}{items}"
DETAIL_CURRENT = "▶"
DETAIL_LOG = "最近动态："
DETAIL_LOG_LINE = "{at} {actor}{what}"
DETAIL_ACTIONS = "你可以：{hints}"
DETAIL_NO_ACTIONS = "你可以：评论 {ref} 内容"
COMPLETED = "已完成 #{number} {title}。{next}"
COMPLETED_NEXT = "已转到下一步：{name}。"
COMPLETED_ALL = "任务已全部完成 ✅"
STARTED = "已开始处理 #{number} {title}。完成后发「完成 {ref}」。"
TRANSFER_USAGE = "请写明转办给谁，例如「转办 1 @李四」。"
TRANSFERRED = "已把 #{number} {title} 转办给 {name}，已通知对方。"
ROLLBACK_USAGE = "回退必须写原因，例如「回退 1 资料不全」。"
ROLLED_BACK = "已回退 #{number} {title} 到上一步（{name}），已通知对方。"
WITHDRAWN = "已撤回 #{number} {title}，这一步回到你手上。"
URGED = "已催办 #{number} {title}，已提醒 {name}。"
COMMENT_USAGE = "请写评论内容，例如「评论 1 已联系供应商」。"
COMMENTED = "已评论 #{number} {title}。"

# --- new task --------------------------------------------------------------------------------
ASK_TITLE = "新建任务（随时发「取消」退出）\n1/3 请输入任务标题："
ASK_ASSIGNEE = "2/3 交给谁处理？发「我」自己处理，或 @姓名 / 账号："
ASK_DEADLINE = "3/3 截止时间？例如：明天18:00、周五、3天后、12-05 17:30"
ASK_DEADLINE_AGAIN = ("没看懂截止时间「{text}」，请换个写法，例如：明天18:00、后天下午3点、12-05\n"
                      "（正在新建任务，发「取消」可退出）")
DEADLINE_PAST = "截止时间 {due} 已经过去了，请给一个将来的时间。"
CONFIRM = ("请确认：\n标题：{title}\n项目：{project}\n处理人：{assignee}\n截止：{due}\n"
           "发「确认」创建，「修改」重填，「取消」放弃。")
CONFIRM_AGAIN = "请发「确认」创建，「修改」重填，或「取消」放弃。"
CONFIRM_WORDS = ("确认", "确定", "是", "好", "ok", "yes", "y")
RESTART_WORDS = ("修改", "重填", "edit")
SELF_WORDS = ("我", "自己", "me", "myself", "本人")
TITLE_EMPTY = "标题不能为空，请输入任务标题："
CREATED = "已创建 #{number} {title}\n处理人：{assignee}　截止：{due}\n发「详情 #{number}」查看。"
CREATED_STAND_IN = "{owner}请假中，任务已交给代办人{handler}。"
CANCELLED = "已取消。"
NO_PROJECT = "你还没有加入任何项目，无法新建任务。请联系管理员把你加入项目。"
PROJECT_UNKNOWN = "没有找到你所在的项目「{name}」。发「项目」查看你的项目。"
PROJECT_AMBIGUOUS = "「{name}」匹配多个项目：{names}。请写全名。"
ME_NAME = "我"

# --- projects --------------------------------------------------------------------------------
PROJECTS_HEADER = "我的项目 {total} 个："
PROJECTS_EMPTY = "你还没有加入任何项目。"
PROJECT_LINE = "{n}. {name}{default}"
PROJECT_DEFAULT = "（默认）"
PROJECTS_FOOTER = "发「项目 N」查看成员和任务；新建时写「#项目名」指定项目。"
PROJECT_REF_STALE = "第 {n} 个不在你最近查看的项目列表里，请先发「项目」。"
PROJECT_HEAD = "项目：{name}\n成员（{count}）：{members}"
PROJECT_TASKS = "我可见的进行中任务 {total} 条："
PROJECT_NO_TASKS = "这个项目里暂无你可见的进行中任务。"

# --- messages --------------------------------------------------------------------------------
MESSAGES_HEADER = "消息（{unread} 条未读，已标为已读）："
MESSAGES_EMPTY = "暂无消息。"
MESSAGE_LINE = "{n}. {unread}{pending}{title} · {at}"
MESSAGE_LINE_BODY = "{n}. {unread}{pending}{title}：{body} · {at}"
MESSAGES_FOOTER = "发「消息 N」或「详情 N」查看，「标记 N」设为待处理。"
MESSAGE_HEAD = "{title}\n{at}"
MESSAGE_TASK = "相关任务：#{number} {title}"
MESSAGE_FOOTER = "发「标记 {n}」设为待处理；「消息」回到列表。"
MESSAGE_TASK_FOOTER = "发「详情 #{number}」看任务，「标记 {n}」设为待处理。"
PENDING_HEADER = "待处理消息 {total} 条："
PENDING_EMPTY = "没有待处理的消息。在「消息」列表里发「标记 N」添加。"
PENDING_FOOTER = "处理完发「取消标记 N」。"
MARKED = "已标记为待处理：{title}\n发「待处理」查看全部。"
UNMARKED = "已取消标记：{title}"

# --- my page and statistics --------------------------------------------------------------
ME_HEAD = "{name}{gender}\n待办 {todo}（已过期 {todo_overdue}）　已办 {done}　我创建的 {created}　累计逾期 {overdue}"
ME_MONTH = "本月（{month}）：完成 {completed}，按时 {on_time}，按时率 {rate}"
ME_OVERDUE = "本月逾期任务："
ME_CHART = "近6个月 收到/完成："
ME_CHART_ITEM = "{month}月 {received}/{completed}"
STATS_MONTH = "本月统计（{start}~{end}）\n收到 {received}，完成 {completed}，完成率 {completion}\n按时完成 {on_time}，按时率 {on_time_rate}"
STATS_WEEK = "本周（{start}~{end}）：收到 {received}，完成 {completed}，完成率 {completion}"
STATS_MEMBERS = "成员：月完成/待办/累计逾期 | 周完成/待办/完成率"
STATS_MEMBER = "{name}：{m_done}/{m_todo}/{overdue} | {w_done}/{w_todo}/{w_rate}"
STATS_LATE = "本月逾期完成 {total} 项，原因：{reasons}"
STATS_LATE_NONE = "本月没有逾期完成的任务。"
LATE_REASON_UNKNOWN = "未填"

# --- profile and company (我的ERP) -----------------------------------------------------------
RENAME_USAGE = "请写新名字，例如「改名 张三」。"
RENAMED = "已改名为「{name}」。"
GENDER_USAGE = "请写「性别 男」或「性别 女」。"
GENDER_SET = "性别已设为{gender}。"
GENDER_WORDS = {"男": "male", "女": "female", "male": "male", "female": "female",
                "m": "male", "f": "female"}
AVATAR_ASK = "请发送一张图片作为新头像（JPG/PNG，5MB以内；发「取消」退出）。"
AVATAR_AGAIN = "请直接发送一张图片（不是文字），或发「取消」退出。"
AVATAR_RECEIVED = "收到图片，正在设置头像，完成后会通知你。"
AVATAR_DONE = "头像已更新。发「我的」查看。"
AVATAR_BAD = "这张图片不能用作头像（{reason}），请换一张后再发「头像」。"
AVATAR_REASON = {"too_large": "超过5MB", "not_image": "不是图片", "bad_format": "只支持JPG/PNG/GIF/WebP",
                 "too_big": "尺寸过大", "download": "下载失败"}
ME_AVATAR = "头像：{state}"
ME_AVATAR_SET = "已设置"
ME_AVATAR_NONE = "未设置（发「头像」后发送图片）"
ME_FOOTER = "发「改名 新名字」「性别 男/女」「头像」修改资料，「我的ERP」看公司资料。"
COMPANY_PROFILE = "我的ERP\n公司：{name}\n客户代码：{code}\n服务团队：{contact}"
COMPANY_NO_CONTACT = "未设置（请联系公司管理员）"
COMPANY_FOOTER = "有问题发「反馈 内容」给服务团队。"

# --- news and feedback ---------------------------------------------------------------------
NEWS_HEADER = "公告与资讯："
NEWS_EMPTY = "暂无公告。"
NEWS_LINE = "{n}. 【{kind}】{title} · {at}{body}"
FEEDBACK_ASK = "请直接输入你的咨询或需求（发「取消」退出）："
FEEDBACK_THANKS = "已收到你的反馈，服务团队会尽快回复，回复会发到「消息」里。"

# --- deadline extensions (SPEC §9) -----------------------------------------------------------
EXTEND_USAGE = "请写明新的截止时间和原因，例如「延期 1 周五 等供应商发货」。"
EXTEND_NO_DEADLINE = "没看懂新的截止时间，请这样写：延期 1 周五 原因（也可写 明天18:00、12-05、3天后）。"
EXTEND_NO_REASON = "延期必须写原因，例如「延期 1 周五 等供应商发货」。"
EXTENSION_REQUESTED = "已申请把 #{number} {title} 的截止时间从 {old} 延到 {new}，已通知{names}审批。"
EXTENSION_AUTO = "你是任务的创建人，已直接把 #{number} {title} 的截止时间从 {old} 延到 {new}。"
EXTENSION_APPROVED = "已同意延期：#{number} {title} 截止时间改为 {new}（原 {old}），已通知{name}。"
EXTENSION_REFUSED = "已拒绝{name}的延期申请（#{number} {title}），截止时间仍为 {due}，已通知对方。"
DETAIL_ORIGINAL_DUE = "原截止：{due}（已延期）"
LOG_ACTION.update({"extension_request": "申请延期到{new_due}：{reason}",
                   "extension_approve": "同意延期到{new_due}", "extension_refuse": "拒绝了延期申请",
                   "late_reason": "填写了第{seq}步的延误原因"})

# --- late-reason codes (SPEC §9) -------------------------------------------------------------
LATE_REASON_NAME = {"supplier": "供应商", "stock": "缺货", "customs": "清关", "internal": "内部"}
LATE_REASON_WORDS = {"1": "supplier", "供应商": "supplier", "supplier": "supplier",
                     "2": "stock", "缺货": "stock", "stock": "stock",
                     "3": "customs", "清关": "customs", "customs": "customs",
                     "4": "internal", "内部": "internal", "internal": "internal"}
LATE_ASK = "已超过截止时间。请选择延误原因：1 供应商 2 缺货 3 清关 4 内部"
LATE_ASK_AGAIN = "请回复数字选择延误原因：1 供应商 2 缺货 3 清关 4 内部（发「取消」跳过）"
LATE_RECORDED = "已记录 #{number} 第{seq}步的延误原因：{reason}。"
LATE_SKIPPED = "已跳过延误原因。之后可发「延误原因 #任务号 供应商」补填。"
LATE_USAGE = "请写明任务和原因，例如「延误原因 1 供应商」（1 供应商 2 缺货 3 清关 4 内部）。"

# --- leave delegation (SPEC §9) --------------------------------------------------------------
LEAVE_USAGE = ("请这样写：请假 12-08 至 12-10 交给 @李四（也可写 请假 明天 @李四、请假 12-08 12-10 @李四）。"
               "期间你的任务由代办人处理，结束后自动交还。")
LEAVE_BAD_DATE = "没看懂日期「{text}」，请写成 12-08、明天、周五 这样的日期。"
LEAVE_CREATED = "已登记请假：{start} 至 {end}（{days}天），期间由{delegate}代办。{note}\n发「我的请假」查看，「销假」提前结束。"
LEAVE_STARTED_NOTE = "已生效：{count}项进行中的任务已交给{delegate}，已通知对方。"
LEAVE_SCHEDULED_NOTE = "到期自动生效，已通知{delegate}。"
LEAVES_EMPTY = "你没有请假记录。发「请假 12-08 至 12-10 交给 @某人」登记。"
LEAVES_HEADER = "我的请假："
LEAVE_MINE_LINE = "{n}. {start} 至 {end} · 代办人 {delegate} · {status}"
LEAVE_COVER_LINE = "· 代{user}：{start} 至 {end} · {status}"
LEAVE_PAST_LINE = "· {start} 至 {end} · 代办人 {delegate} · {status}"
LEAVES_FOOTER = "发「销假」结束当前请假，「销假 N」取消第 N 条。"
LEAVE_NONE = "你没有进行中或待生效的请假。"
LEAVE_PICK = "第 {n} 条不在你的请假列表里，请先发「我的请假」查看。"
LEAVE_CANCELLED = "已销假：{start} 至 {end}（代办人 {delegate}）。{note}"
LEAVE_RETURNED_NOTE = "代办中的任务已交还给你，发「待办」查看。"
LEAVE_STATUS = {"scheduled": "待生效", "active": "请假中", "ended": "已结束", "cancelled": "已取消"}
LOG_ACTION.update({"delegate": "第{seq}步由{to_name}代{owner_name}处理",
                   "undelegate": "第{seq}步交还{to_name}"})

# --- ERP situation cleared (SPEC §9 roll-up) -------------------------------------------------
LOG_ACTION["erp_cleared"] = "：ERP报告情况已解除"
DETAIL_ERP_CLEARED = "（ERP：情况已解除）"
DETAIL_ERP = "ERP单据{times}："
DETAIL_ERP_TIMES = "（已推送{n}次）"
DETAIL_ERP_ROW = "  {label}：{value}"
