"""The words of every alert, in ``en`` and ``zh-CN``.

Data only, keyed by alert kind value, then by the value of the kind's variant
parameter (``""`` for kinds with one text, and the fallback for a variant value
with no text of its own). Templates use :meth:`str.format`
placeholders; both languages of one entry must use the same placeholders (a
test checks). Which kinds have variants, footers and categories is decided in
:mod:`walletdesk.notify.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Texts:
    """One alert's title and body templates, per locale."""

    title: Mapping[str, str]
    body: Mapping[str, str]


def _texts(en_title: str, en_body: str, zh_title: str, zh_body: str) -> Texts:
    return Texts(title={"en": en_title, "zh-CN": zh_title}, body={"en": en_body, "zh-CN": zh_body})


# Appended to security alerts: the first thing a person needs when it was not them.
SECURITY_FOOTER = {
    "en": (
        "If this wasn't you, change your password now and contact walletdesk support "
        "from Help in the app. walletdesk will never ask for your password or "
        "verification codes by phone, SMS, email or chat."
    ),
    "zh-CN": (
        "如果这不是您本人的操作，请立即修改密码，并通过 App 内的“帮助”联系 walletdesk 客服。"
        "walletdesk 绝不会通过电话、短信、邮件或聊天向您索要密码或验证码。"
    ),
}

# Account alerts are what scammers imitate ("your account is frozen, call us").
ACCOUNT_FOOTER = {
    "en": (
        "If you didn't expect this, contact walletdesk support from Help in the app. "
        "walletdesk will never ask for your password or verification codes."
    ),
    "zh-CN": (
        "如有疑问，请通过 App 内的“帮助”联系 walletdesk 客服。"
        "walletdesk 绝不会向您索要密码或验证码。"
    ),
}


TEXTS: Mapping[str, Mapping[str, Texts]] = {
    "login_new_device": {
        "": _texts(
            "New sign-in on {device}",
            "Your walletdesk account was signed in on {device} at {time}. "
            "If this was you, you don't need to do anything.",
            "新设备登录：{device}",
            "您的 walletdesk 账户于 {time} 在 {device} 上登录。如果是您本人操作，无需处理。",
        )
    },
    "login_new_country": {
        "": _texts(
            "Sign-in from a new country: {country}",
            "Your walletdesk account was signed in from {country} at {time}, a country "
            "you haven't signed in from before. If you're travelling and this was you, "
            "you don't need to do anything.",
            "新的国家或地区登录：{country}",
            "您的 walletdesk 账户于 {time} 在{country}登录，这是您首次在该国家或地区登录。"
            "如果是您本人（例如正在出行），无需处理。",
        )
    },
    "password_changed": {
        "": _texts(
            "Your password was changed",
            "The password for your walletdesk account was changed at {time}. "
            "If you made this change, you don't need to do anything.",
            "您的密码已修改",
            "您的 walletdesk 账户密码已于 {time} 修改。如果是您本人操作，无需处理。",
        )
    },
    # signed_out variants: "others" after the customer's own change, "everywhere" after
    # customer service's (the lost-phone recovery), which signs every device out.
    "phone_changed": {
        "": _texts(
            "Your phone number was changed",
            "The phone number on your walletdesk account was changed to {new} "
            "at {time}. Verification codes will now go to the new number.",
            "您的手机号已更换",
            "您的 walletdesk 账户绑定的手机号已于 {time} 更换为 {new}，此后验证码将发送到新号码。",
        ),
        "others": _texts(
            "Your phone number was changed",
            "The phone number on your walletdesk account was changed to {new} "
            "at {time}. Verification codes will now go to the new number. Your other "
            "devices were signed out.",
            "您的手机号已更换",
            "您的 walletdesk 账户绑定的手机号已于 {time} 更换为 {new}，此后验证码将发送到新号码。"
            "您的其他设备已退出登录。",
        ),
        "everywhere": _texts(
            "Your phone number was changed",
            "At your request, customer service changed the phone number on your "
            "walletdesk account to {new} at {time}. Verification codes will now go to the "
            "new number. Every device was signed out: sign in again with your password.",
            "您的手机号已更换",
            "应您的要求，客服已于 {time} 将您的 walletdesk 账户绑定的手机号更换为 {new}，"
            "此后验证码将发送到新号码。所有设备均已退出登录，请使用密码重新登录。",
        ),
    },
    "email_changed": {
        "": _texts(
            "Your email address was changed",
            "The email address on your walletdesk account was changed to {new} at {time}.",
            "您的邮箱已更换",
            "您的 walletdesk 账户绑定的邮箱已于 {time} 更换为 {new}。",
        ),
        "others": _texts(
            "Your email address was changed",
            "The email address on your walletdesk account was changed to {new} at {time}. "
            "Your other devices were signed out.",
            "您的邮箱已更换",
            "您的 walletdesk 账户绑定的邮箱已于 {time} 更换为 {new}。您的其他设备已退出登录。",
        ),
        "everywhere": _texts(
            "Your email address was changed",
            "At your request, customer service changed the email address on your "
            "walletdesk account to {new} at {time}. Every device was signed out: sign in "
            "again with your password.",
            "您的邮箱已更换",
            "应您的要求，客服已于 {time} 将您的 walletdesk 账户绑定的邮箱更换为 {new}。"
            "所有设备均已退出登录，请使用密码重新登录。",
        ),
    },
    "card_added": {
        "": _texts(
            "A card was added to your wallet",
            "A card ending in {last4} was added to your walletdesk wallet at {time}. "
            "If you didn't add it, remove it under Settings > Cards.",
            "钱包已添加银行卡",
            "尾号 {last4} 的银行卡已于 {time} 添加到您的 walletdesk 钱包。"
            "如非本人添加，请在“设置 > 银行卡”中将其移除。",
        )
    },
    "card_removed": {
        "": _texts(
            "A card was removed from your wallet",
            "The card ending in {last4} was removed from your walletdesk wallet at {time}.",
            "钱包已移除银行卡",
            "尾号 {last4} 的银行卡已于 {time} 从您的 walletdesk 钱包移除。",
        )
    },
    "totp_enabled": {
        "": _texts(
            "Two-step verification is on",
            "Two-step verification with an authenticator app was turned on for your "
            "account at {time}. From now on, signing in needs a code from that app. "
            "Keep your recovery codes somewhere safe.",
            "两步验证已开启",
            "您的账户已于 {time} 开启身份验证器 App 两步验证，此后登录需要输入该 App "
            "生成的验证码。请妥善保管恢复码。",
        )
    },
    "totp_disabled": {
        "": _texts(
            "Two-step verification is off",
            "Two-step verification was turned off for your account at {time}. Your "
            "account is now protected by your password alone; we recommend turning it "
            "back on under Settings > Security.",
            "两步验证已关闭",
            "您的账户已于 {time} 关闭两步验证，目前仅靠密码保护。建议在“设置 > 安全”中重新开启。",
        ),
        "others": _texts(
            "Two-step verification is off",
            "Two-step verification was turned off for your account at {time}, and your "
            "other devices were signed out. Your account is now protected by your password "
            "alone; we recommend turning it back on under Settings > Security.",
            "两步验证已关闭",
            "您的账户已于 {time} 关闭两步验证，您的其他设备已退出登录。目前账户仅靠密码保护，"
            "建议在“设置 > 安全”中重新开启。",
        ),
        "everywhere": _texts(
            "Two-step verification is off",
            "At your request, customer service turned two-step verification off for your "
            "account at {time}, and every device was signed out. Sign in again with your "
            "password, then turn it back on under Settings > Security.",
            "两步验证已关闭",
            "应您的要求，客服已于 {time} 关闭您账户的两步验证，所有设备均已退出登录。"
            "请使用密码重新登录，然后在“设置 > 安全”中重新开启。",
        ),
    },
    "recovery_code_used": {
        "": _texts(
            "A recovery code was used",
            "A recovery code was used to sign in to your account at {time}. You have "
            "{remaining} recovery codes left; you can make new ones under "
            "Settings > Security.",
            "恢复码已被使用",
            "您的账户于 {time} 使用恢复码登录。您还剩 {remaining} 个恢复码，"
            "可在“设置 > 安全”中重新生成。",
        )
    },
    "account_locked": {
        "": _texts(
            "Your account is locked for now",
            "After several unsuccessful sign-in attempts, we've locked your walletdesk "
            "account until {until} to protect it. You can try again after that, or reset "
            "your password now.",
            "账户已临时锁定",
            "由于多次登录失败，为保护您的账户安全，我们已将您的 walletdesk 账户锁定至 "
            "{until}。之后可再次尝试，也可以立即重置密码。",
        )
    },
    "account_frozen": {
        # Any other reason (staff write free text, which is not shown to the user).
        "": _texts(
            "Your account is frozen",
            "Your walletdesk account has been frozen. While it's frozen, no money can be "
            "sent, paid or withdrawn, and your balance stays safe. If you froze it "
            "yourself, you can ask to unfreeze it from Help in the app; otherwise we'll "
            "contact you in the app.",
            "账户已冻结",
            "您的 walletdesk 账户已被冻结。冻结期间无法转账、付款或提现，您的余额安全不受影响。"
            "如果是您本人冻结的，可在 App 内的“帮助”中申请解冻；否则我们会在 App 内联系您。",
        ),
        "user_request": _texts(
            "Your account is frozen",
            "As you asked, your walletdesk account has been frozen. While it's "
            "frozen, no money can be sent, paid or withdrawn. You can unfreeze it "
            "from Help in the app after confirming it's you.",
            "账户已冻结",
            "已按您的要求冻结您的 walletdesk 账户。冻结期间无法转账、付款或提现。"
            "完成身份验证后，可在 App 内的“帮助”中解冻。",
        ),
        "security_review": _texts(
            "Your account is frozen",
            "We've frozen your walletdesk account while we check some unusual "
            "activity. While it's frozen, no money can be sent, paid or withdrawn, "
            "and your balance stays safe. We'll contact you in the app.",
            "账户已冻结",
            "我们发现您的账户有异常活动，已暂时冻结您的 walletdesk 账户以便核查。"
            "冻结期间无法转账、付款或提现，您的余额安全不受影响。我们会在 App 内联系您。",
        ),
        "compliance_review": _texts(
            "Your account is frozen",
            "Your walletdesk account has been frozen while we complete a required "
            "review. While it's frozen, no money can be sent, paid or withdrawn, "
            "and your balance stays safe. We'll tell you in the app if we need "
            "anything from you.",
            "账户已冻结",
            "为完成必要的合规审核，您的 walletdesk 账户已被冻结。冻结期间无法转账、"
            "付款或提现，您的余额安全不受影响。如需您提供资料，我们会在 App 内通知您。",
        ),
    },
    "account_unfrozen": {
        "": _texts(
            "Your account is active again",
            "Your walletdesk account has been unfrozen. You can send, pay and withdraw "
            "money as usual.",
            "账户已解冻",
            "您的 walletdesk 账户已解冻，可以正常转账、付款和提现。",
        )
    },
    "verification_code": {
        "": _texts(
            "Your walletdesk verification code",
            "{code} is your walletdesk verification code. It expires in {minutes} "
            "minutes. Never share it with anyone: walletdesk staff will never ask for "
            "it. If you didn't ask for this code, change your password now.",
            "walletdesk 验证码",
            "{code} 是您的 walletdesk 验证码，{minutes} 分钟内有效。请勿将验证码告诉任何人，"
            "walletdesk 工作人员绝不会向您索要。如非本人操作，请立即修改密码。",
        )
    },
    # Sent when an agent asks the customer to confirm it's them on a ticket. The
    # customer types it on that ticket themselves; it is never read out to anyone.
    "ticket_verification_code": {
        "": _texts(
            "Confirm it's you on ticket {ticket_number}",
            "{code} confirms it's you on walletdesk ticket {ticket_number}. Enter it only "
            "on that ticket in the walletdesk app or website; it expires in {minutes} "
            "minutes. Never tell it to anyone, not even walletdesk staff: they will never "
            "ask you for it. If you didn't ask walletdesk for help, change your password.",
            "在工单 {ticket_number} 中确认本人身份",
            "{code} 用于在 walletdesk 工单 {ticket_number} 中确认是您本人。请只在 walletdesk "
            "App 或网站的该工单页面输入，{minutes} 分钟内有效。切勿告诉任何人，包括 walletdesk "
            "工作人员：他们绝不会向您索要。如果您没有向 walletdesk 求助，请立即修改密码。",
        )
    },
    # Sent to a phone number or email address the customer asked to verify. Whoever did
    # not ask gets told to ignore it: someone signed up with their contact, and without
    # this code it stays unverified and matches nothing of theirs.
    "contact_verification_code": {
        "phone": _texts(
            "Verify your phone number for walletdesk",
            "{code} verifies this phone number for your walletdesk account. Enter it in the "
            "walletdesk app or website; it expires in {minutes} minutes. Never tell it to "
            "anyone: walletdesk staff will never ask for it. If you didn't ask for it, change "
            "your password now.",
            "验证您的 walletdesk 手机号",
            "{code} 用于验证您 walletdesk 账户绑定的手机号，请在 walletdesk App 或网站中输入，"
            "{minutes} 分钟内有效。切勿告诉任何人，walletdesk 工作人员绝不会向您索要。"
            "如非本人操作，请立即修改密码。",
        ),
        "email": _texts(
            "Verify your email address for walletdesk",
            "{code} verifies this email address for your walletdesk account. Enter it in the "
            "walletdesk app or website; it expires in {minutes} minutes. Never tell it to "
            "anyone: walletdesk staff will never ask for it. If you didn't ask for it and have "
            "a walletdesk account, change your password now; if you have none, someone typed "
            "your address by mistake: ignore this email, and nothing you send us will reach "
            "their account.",
            "验证您的 walletdesk 邮箱",
            "{code} 用于验证您 walletdesk 账户绑定的邮箱，请在 walletdesk App 或网站中输入，"
            "{minutes} 分钟内有效。切勿告诉任何人，walletdesk 工作人员绝不会向您索要。"
            "如非本人操作：若您有 walletdesk 账户，请立即修改密码；若没有，说明有人误填了您的邮箱，"
            "请忽略本邮件，您发给我们的邮件不会进入对方的账户。",
        ),
    },
    "transaction": {
        "in": _texts(
            "You received {currency} {amount}",
            "{counterparty} sent you {currency} {amount}. It's in your walletdesk "
            "balance now. If someone asks you to send it back because it was a "
            "mistake, contact walletdesk support instead of sending money yourself.",
            "收款 {currency} {amount}",
            "{counterparty} 向您转入 {currency} {amount}，已存入您的 walletdesk 余额。"
            "如有人声称转错账并要求您退回，请勿自行转账，请联系 walletdesk 客服处理。",
        ),
        "out": _texts(
            "You paid {currency} {amount}",
            "You sent {currency} {amount} to {counterparty}. If you don't recognise "
            "this payment, contact walletdesk support from Help in the app right away.",
            "付款 {currency} {amount}",
            "您已向 {counterparty} 支付 {currency} {amount}。如不认识这笔付款，"
            "请立即通过 App 内的“帮助”联系 walletdesk 客服。",
        ),
    },
    "limit_changed": {
        "daily": _texts(
            "Your payment limit changed",
            "Your daily payment limit is now {currency} {amount}.",
            "支付限额已调整",
            "您的每日支付限额已调整为 {currency} {amount}。",
        ),
        "monthly": _texts(
            "Your payment limit changed",
            "Your monthly payment limit is now {currency} {amount}.",
            "支付限额已调整",
            "您的每月支付限额已调整为 {currency} {amount}。",
        ),
        "per_payment": _texts(
            "Your payment limit changed",
            "Your limit for a single payment is now {currency} {amount}.",
            "支付限额已调整",
            "您的单笔支付限额已调整为 {currency} {amount}。",
        ),
        "yearly": _texts(
            "Your payment limit changed",
            "Your yearly payment limit is now {currency} {amount}.",
            "支付限额已调整",
            "您的年度支付限额已调整为 {currency} {amount}。",
        ),
        "lifetime": _texts(
            "Your payment limit changed",
            "Your payment limit since the account opened is now {currency} {amount}.",
            "支付限额已调整",
            "您的开户以来累计支付限额已调整为 {currency} {amount}。",
        ),
    },
    "limit_request_declined": {
        "": _texts(
            "Your limit request was declined",
            "Customer service reviewed your request for a payment limit of {currency} {amount} "
            "and declined it; your limits stay as they were. Reply on your support ticket if "
            "you have questions, or verify your identity to a higher tier for higher limits.",
            "提额申请未通过",
            "客服已审核您将支付限额提高到 {currency} {amount} 的申请，结果为未通过，"
            "您的限额保持不变。如有疑问，请在客服工单中回复；完成更高等级的实名认证可获得更高限额。",
        )
    },
    "refund_status": {
        "approved_card": _texts(
            "Refund approved",
            "Your refund of {currency} {amount} from {merchant} was approved and will go back "
            "to your card ending {last4}.",
            "退款已通过",
            "您向 {merchant} 申请的 {currency} {amount} 退款已通过，将退回尾号 {last4} 的银行卡。",
        ),
        "processing": _texts(
            "Refund on its way to your card",
            "Your refund of {currency} {amount} from {merchant} is with the bank for your card "
            "ending {last4}. Expect it by {expected_by}; you don't need to do anything.",
            "退款处理中",
            "{merchant} 的 {currency} {amount} 退款正由银行处理，将退回尾号 {last4} 的银行卡，"
            "预计 {expected_by} 前到账，您无需任何操作。",
        ),
        "completed_card": _texts(
            "Refund sent to your card",
            "{currency} {amount} from {merchant} has been refunded to your card ending {last4}. "
            "Banks take up to 5 business days to show it: expect it by {expected_by}.",
            "退款已退回银行卡",
            "{merchant} 的 {currency} {amount} 退款已退回尾号 {last4} 的银行卡。"
            "银行入账需 1-5 个工作日，预计 {expected_by} 前到账。",
        ),
        "failed": _texts(
            "Refund didn't go through",
            "Your bank declined the refund of {currency} {amount} from {merchant} to your card "
            "ending {last4}. The money is safe with the merchant: you can have it refunded to "
            "your walletdesk balance instead, or contact walletdesk support from Help in the app.",
            "退款未成功",
            "您的银行拒绝了 {merchant} 退回尾号 {last4} 银行卡的 {currency} {amount} 退款，"
            "款项仍在商户处，资金安全。您可以改为退回 walletdesk 余额，"
            "或通过 App 内的“帮助”联系 walletdesk 客服。",
        ),
        "requested": _texts(
            "Refund requested",
            "We've received your request for a refund of {currency} {amount} from "
            "{merchant}. We'll let you know when there's news.",
            "已提交退款申请",
            "我们已收到您向 {merchant} 申请的 {currency} {amount} 退款，有进展时会通知您。",
        ),
        "approved": _texts(
            "Refund approved",
            "Your refund of {currency} {amount} from {merchant} was approved. The "
            "money will be back in your walletdesk balance soon.",
            "退款已通过",
            "您向 {merchant} 申请的 {currency} {amount} 退款已通过，"
            "款项将很快退回您的 walletdesk 余额。",
        ),
        "rejected": _texts(
            "Refund not approved",
            "Your request for a refund of {currency} {amount} from {merchant} was "
            "not approved. You can see why and ask for a review in Help in the app.",
            "退款未通过",
            "您向 {merchant} 申请的 {currency} {amount} 退款未通过。"
            "您可以在 App 内的“帮助”中查看原因并申请复核。",
        ),
        "completed": _texts(
            "Refund completed",
            "{currency} {amount} from {merchant} has been refunded to your walletdesk balance.",
            "退款已到账",
            "{merchant} 的 {currency} {amount} 退款已退回您的 walletdesk 余额。",
        ),
    },
    "payment_failed": {
        "insufficient_funds": _texts(
            "Payment didn't go through",
            "Your payment of {currency} {amount} to {merchant} didn't go through "
            "because your balance was too low. No money was taken. Top up and try "
            "again.",
            "付款未成功",
            "您向 {merchant} 支付的 {currency} {amount} 未成功：余额不足，未扣款。请充值后重试。",
        ),
        "limit_exceeded": _texts(
            "Payment didn't go through",
            "Your payment of {currency} {amount} to {merchant} didn't go through "
            "because it is over your payment limit. No money was taken. You can see "
            "your limits or ask to change them under Settings > Limits.",
            "付款未成功",
            "您向 {merchant} 支付的 {currency} {amount} 未成功：超出支付限额，未扣款。"
            "可在“设置 > 限额”中查看或申请调整限额。",
        ),
        "declined": _texts(
            "Payment didn't go through",
            "Your payment of {currency} {amount} to {merchant} was declined. No "
            "money was taken. If you need help, contact walletdesk support from "
            "Help in the app.",
            "付款未成功",
            "您向 {merchant} 支付的 {currency} {amount} 被拒绝，未扣款。"
            "如需帮助，请通过 App 内的“帮助”联系 walletdesk 客服。",
        ),
    },
    "ticket_reply": {
        "": _texts(
            "New reply to your request {ticket_number}",
            "walletdesk support answered your request “{subject}”. Read it and reply in "
            "the app under Me > Help & feedback.",
            "客服已回复您的问题 {ticket_number}",
            "walletdesk 客服已回复您的问题“{subject}”，请在 App 的“我的 > 帮助与反馈”中查看并回复。",
        )
    },
    "ticket_solved": {
        "link": _texts(
            "{ticket_number} is solved: how did we do?",
            "We marked your request “{subject}” as solved. Rate our help from 1 to 5 "
            "(the link works for 7 days, no login needed): {csat_url} Not solved? Reply in "
            "the app under Me > Help & feedback and it reopens.",
            "{ticket_number} 已解决，请为我们打分",
            "您的问题“{subject}”已标记为已解决。请为我们的服务打 1–5 分（链接 7 天内有效，无需登录）："
            "{csat_url} 如果问题还没解决，在 App 的“我的 > 帮助与反馈”中回复即可重新打开。",
        ),
        "": _texts(
            "{ticket_number} is solved: how did we do?",
            "We marked your request “{subject}” as solved. You can rate our help in the app "
            "under Me > Help & feedback; if it is not solved, reply there and it reopens.",
            "{ticket_number} 已解决，请为我们打分",
            "您的问题“{subject}”已标记为已解决。可在 App 的“我的 > 帮助与反馈”中为我们打分；"
            "如果问题还没解决，在那里回复即可重新打开。",
        ),
    },
    "kyc_tier_changed": {
        "": _texts(
            "Your verification level changed",
            "Your walletdesk account is now at verification level {tier}. Your limits "
            "have been updated to match; you can see them under Settings > Limits.",
            "认证等级已变更",
            "您的 walletdesk 账户认证等级已变更为 {tier} 级，相应限额已同步更新，"
            "可在“设置 > 限额”中查看。",
        )
    },
    "security_event": {
        "suspicious_sign_in_blocked": _texts(
            "We blocked a suspicious sign-in",
            "We blocked a suspicious attempt to sign in to your walletdesk account "
            "at {time}. Your account is safe.",
            "已拦截可疑登录",
            "我们已于 {time} 拦截了一次对您 walletdesk 账户的可疑登录尝试，您的账户安全。",
        ),
        "password_reset_requested": _texts(
            "Password reset requested",
            "Someone asked to reset the password for your walletdesk account at "
            "{time}. If it was you, follow the steps we sent.",
            "收到密码重置申请",
            "有人于 {time} 申请重置您的 walletdesk 账户密码。如果是您本人，请按收到的说明操作。",
        ),
        "signed_out_everywhere": _texts(
            "Signed out on all devices",
            "Your walletdesk account was signed out on all devices at {time}.",
            "已在所有设备上退出登录",
            "您的 walletdesk 账户已于 {time} 在所有设备上退出登录。",
        ),
    },
}
