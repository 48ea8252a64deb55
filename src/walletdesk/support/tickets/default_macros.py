"""The macros walletdesk ships: bilingual answers for the five problem categories
(DOMAIN.md §1) and two for any ticket. Data only; seeded by
:func:`walletdesk.support.tickets.macros.seed_default_macros`.

Every text repeats that walletdesk never asks for passwords or codes where a
scammer could pose as us, and none promises what the desk cannot check (amounts,
dates): those come from the payment's diagnosis or the refund's expected date.
"""

from __future__ import annotations

from dataclasses import dataclass

from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets.rules import Priority, TicketStatus


@dataclass(frozen=True, slots=True)
class DefaultMacro:
    name: str
    category: Category | None
    body_en: str
    body_zh: str
    set_status: TicketStatus | None = None
    set_priority: Priority | None = None
    add_tags: tuple[str, ...] = ()


_SIGN_EN = "\n\n{agent_name}\nwalletdesk support"
_SIGN_ZH = "\n\nwalletdesk 客服 {agent_name}"

DEFAULT_MACROS: tuple[DefaultMacro, ...] = (
    DefaultMacro(
        name="Security: secure the account now",
        category=Category.ACCOUNT_SECURITY,
        body_en="Hello {customer_name},\n\nThank you for telling us (ticket {ticket_number}). "
        "To protect your account right now:\n"
        "1. Change your password under Me → Security.\n"
        "2. Turn on two-factor authentication (an authenticator app).\n"
        "3. Check your signed-in devices and sign out any you do not recognise.\n\n"
        "If money left your account without your permission, reply here with the time and "
        "the amount and we will investigate at once. walletdesk staff will never ask for "
        "your password or verification codes, by phone, SMS, email or chat." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n感谢您告知我们（工单 {ticket_number}）。"
        "请立即按以下步骤保护账户：\n"
        "1. 在“我的 → 安全中心”修改登录密码。\n"
        "2. 开启双重验证（身份验证器应用）。\n"
        "3. 查看已登录的设备，退出所有您不认识的设备。\n\n"
        "如有资金在未经您同意的情况下转出，请在本工单回复转出的时间和金额，我们会立即调查。"
        "walletdesk 工作人员绝不会通过电话、短信、邮件或聊天向您索要密码或验证码。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
        add_tags=("security",),
    ),
    DefaultMacro(
        name="Security: this is a scam, do not pay",
        category=Category.ACCOUNT_SECURITY,
        body_en="Hello {customer_name},\n\nWhat you describe is a scam. walletdesk never asks "
        "for verification codes or passwords, and never asks you to move money to a "
        "“safe account”. Do not send money or codes to anyone, and end any call that asks "
        "for them.\n\nIf you have already paid or shared a code, reply here at once with the "
        "time and the amount: we will try to stop the payment and secure your account. "
        "We contact you only through this ticket ({ticket_number})." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n您描述的情况是诈骗。walletdesk 绝不会索要验证码或密码，"
        "也绝不会要求您把钱转到“安全账户”。请勿向任何人转账或提供验证码，遇到索要的电话请立即挂断。\n\n"
        "如果您已经转账或提供了验证码，请立即在本工单回复时间和金额，我们会尽力拦截付款并保护您的账户。"
        "我们只会通过本工单（{ticket_number}）与您联系。" + _SIGN_ZH,
        set_priority=Priority.URGENT,
        add_tags=("scam",),
    ),
    DefaultMacro(
        name="Payment failed: cause and next step",
        category=Category.PAYMENT_FAILURE,
        body_en="Hello {customer_name},\n\nWe have checked payment {payment_id}. The reason it "
        "failed and what to do next are shown on the payment itself: open Transactions, "
        "choose the payment and see “Why did this fail?”. Most failures are solved by "
        "retrying on a stable network, topping up your balance, or asking the merchant for "
        "a new payment request. A payment that timed out is never charged twice when you "
        "retry it.\n\nIf it fails again, reply here and we will look further." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n我们已查看付款 {payment_id}。失败原因和下一步操作都显示在该笔付款中："
        "打开“交易记录”，选择这笔付款，查看“为什么失败？”。大多数失败可以通过在稳定的网络下重试、"
        "为余额充值，或请商家重新发起收款来解决。超时的付款在重试时不会被重复扣款。\n\n"
        "如果再次失败，请在本工单回复，我们会进一步排查。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
        add_tags=("payment",),
    ),
    DefaultMacro(
        name="Refund: how to ask and when it arrives",
        category=Category.REFUND,
        body_en="Hello {customer_name},\n\nYou can ask for a refund on the payment's page "
        "(Transactions → the payment → Request a refund). The merchant's refund policy "
        "decides whether it is approved at once or reviewed first. Once approved, the money "
        "goes back the way it came: to your walletdesk balance straight away, or to your "
        "bank card by the expected date shown on the refund (usually 1–5 business "
        "days).\n\nYou can follow the refund's status on the same page; reply here if it "
        "has not arrived by the expected date." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n您可以在该笔付款的页面申请退款（交易记录 → 该笔付款 → 申请退款）。"
        "是否立即通过或需要审核，由商家的退款政策决定。退款通过后，资金将原路退回："
        "退回 walletdesk 余额的即时到账，退回银行卡的以退款上显示的预计到账日期为准（通常为 1–5 个工作日）。\n\n"
        "您可以在同一页面查看退款进度；如到预计日期仍未到账，请在本工单回复。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
        add_tags=("refund",),
    ),
    DefaultMacro(
        name="Account update: phone, email or bank card",
        category=Category.ACCOUNT_UPDATE,
        body_en="Hello {customer_name},\n\nYou can change your phone number, email or bank "
        "card yourself under Me → Account. For your safety we first ask you to confirm it "
        "is you (password, authenticator code or SMS code), we send a notice to your old "
        "contact details, and a newly added bank card can receive withdrawals only after a "
        "cooling-off period.\n\nIf you can no longer use your old phone or email, reply "
        "here: an agent will verify your identity with you on this ticket." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n您可以在“我的 → 账户”中自行修改手机号、邮箱或银行卡。"
        "为了您的安全，修改前需要先确认是您本人（密码、身份验证器验证码或短信验证码），"
        "修改后我们会通知您原来的联系方式，新绑定的银行卡需经过冷静期后才能提现。\n\n"
        "如果您已无法使用原手机号或邮箱，请在本工单回复，客服会在本工单中与您核实身份。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
        add_tags=("account_update",),
    ),
    DefaultMacro(
        name="Limit increase: how to raise it",
        category=Category.LIMIT_INCREASE,
        body_en="Hello {customer_name},\n\nYour limits depend on your verification level. "
        "Completing identity verification raises them straight away; you can also ask for a "
        "temporary or permanent increase under Me → Limits → Request an increase. Higher "
        "limits need two-factor authentication to be on.\n\nIf you are planning a large "
        "purchase, reply with the amount and the date and we will help with the request."
        + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n您的限额取决于账户的认证等级。完成身份认证后限额会立即提高；"
        "您也可以在“我的 → 限额 → 申请提额”中申请临时或长期提额。较高的限额需要开启双重验证。\n\n"
        "如果您计划进行大额消费，请回复金额和日期，我们会协助您办理申请。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
        add_tags=("limits",),
    ),
    DefaultMacro(
        name="Need more information",
        category=None,
        body_en="Hello {customer_name},\n\nTo look into “{ticket_subject}” we need a little "
        "more: the date and time, the amount, and any message or error you saw (a "
        "screenshot helps). Please never send your password or verification codes; we will "
        "not ask for them." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n为了处理“{ticket_subject}”，我们还需要一些信息："
        "发生的日期和时间、金额，以及您看到的提示或错误信息（截图更好）。"
        "请勿发送密码或验证码，我们也绝不会索要。" + _SIGN_ZH,
        set_status=TicketStatus.PENDING,
    ),
    DefaultMacro(
        name="Solved: closing note",
        category=None,
        body_en="Hello {customer_name},\n\nWe are glad this is sorted, and we have marked ticket "
        "{ticket_number} as solved. If anything else comes up about it, just reply here and "
        "the ticket opens again. You will also get a short question about how we did." + _SIGN_EN,
        body_zh="{customer_name}，您好：\n\n很高兴问题已经解决，工单 {ticket_number} 已标记为已解决。"
        "如还有相关问题，直接在本工单回复即可重新打开工单。稍后您还会收到一份简短的满意度评价。"
        + _SIGN_ZH,
        set_status=TicketStatus.SOLVED,
    ),
)
