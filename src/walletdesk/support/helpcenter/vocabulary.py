"""The words search knows about: Traditional→Simplified characters, synonyms, stop words.

All entries are written in their *normalised* form (half-width, lower case,
Simplified), because they are compared with normalised text only.
"""

from __future__ import annotations

# Traditional → Simplified for the characters of wallet and help-centre words.
# A full converter (OpenCC) would cover everything; this table covers what users
# type about money, accounts and customer service without another dependency, and
# a user in Hong Kong or Taiwan typing 帳戶凍結 still finds 账户冻结.
_PAIRS = (
    "帳账 賬账 戶户 號号 碼码 驗验 證证 錢钱 額额 凍冻 結结 詐诈 騙骗 電电 話话 務务 銀银 設设 綁绑 "
    "訂订 單单 認认 實实 線线 網网 絡络 時时 間间 過过 還还 為为 麼么 辦办 無无 個个 與与 這这 說说 "
    "請请 問问 題题 幫帮 聯联 繫系 係系 費费 買买 賣卖 際际 達达 們们 對对 應应 關关 開开 啟启 雙双 "
    "兩两 換换 變变 動动 機机 郵邮 稱称 臨临 長长 級级 書书 錯错 誤误 風风 險险 攔拦 鎖锁 盜盗 損损 "
    "幣币 種种 匯汇 處处 狀状 態态 審审 員员 發发 簡简 訊讯 連连 點点 擊击 裝装 載载 軟软 體体 護护 "
    "舊旧 後后 復复 歸归 餘余 貨货 購购 寶宝 臺台 灣湾 憑凭 據据 條条 隱隐 紀纪 錄录 記记 歷历 轉转 "
    "儲储 產产 權权 碼码 嗎吗 憂忧 緊紧 裡里 騰腾 訊讯 釘钉 會会 議议 筆笔 額额 級级 復复 綫线"
)
TRADITIONAL_TO_SIMPLIFIED: dict[str, str] = {pair[0]: pair[1] for pair in _PAIRS.split()}

# Groups of words that mean the same to someone asking for help. A query that
# contains one member also searches for every other member of its group, so an
# English query finds Chinese articles and 退钱 finds 退款. English members are
# word sequences, Chinese members substrings.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("2fa", "two factor", "two step", "双重验证", "两步验证", "二次验证", "双因素", "totp"),
    ("refund", "退款", "退钱", "money back"),
    ("limit", "限额", "额度"),
    ("top up", "topup", "充值", "储值", "add money"),
    ("withdraw", "提现", "cash out"),
    ("customer service", "客服", "hotline", "电话", "contact us"),
    ("frozen", "freeze", "冻结"),
    ("scam", "诈骗", "fake", "假冒", "骗子", "fraud"),
    ("password", "密码"),
    ("balance", "余额"),
    ("bank card", "银行卡"),
    ("charged twice", "重复扣款", "扣了两次"),
    ("timed out", "timeout", "超时"),
    ("verification code", "验证码", "otp"),
    ("phone number", "手机号"),
)

# English words too common to tell articles apart. Dropping them from queries keeps
# the OR query short (every term costs a posting-list walk) without losing meaning.
ENGLISH_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "am",
        "i'm",
        "im",
        "get",
        "got",
        "does",
    ]
)

# Chinese characters that glue a question together but say nothing about the topic
# (怎么办, 为什么, 我的 ...): a query bigram containing one is dropped.
CHINESE_STOP_CHARACTERS = frozenset("的了吗呢吧啊么怎什哪谁您你我")

# Whole bigrams that are question scaffolding rather than topic.
CHINESE_STOP_BIGRAMS = frozenset(
    {"为什", "如何", "可以", "一下", "请问", "是不", "不是", "能不", "有没", "没有", "一直", "还是"}
)
