"""The words of the checker: every reason and piece of advice, in zh-CN and en.

A :class:`Note` is a stable ``code`` (for clients and tests) plus the sentence in both
languages with its parameters already filled in, so the API only has to pick one.
"""

from __future__ import annotations

from dataclasses import dataclass

from walletdesk.support.contacts.model import Channel, ChannelKind, SourceTier, Text
from walletdesk.support.contacts.normalise import PhoneShape

Param = str | Text


@dataclass(frozen=True)
class Note:
    """One reason or piece of advice: a stable code and its sentence in both languages."""

    code: str
    text: Text

    def get(self, locale: str) -> str:
        return self.text.get(locale)


def bilingual(en: str, zh_cn: str) -> Text:
    return Text.model_validate({"en": en, "zh-CN": zh_cn})


def note(code: str, **params: Param) -> Note:
    """The catalogue entry ``code`` with ``params`` filled in each language.

    A :class:`Text` parameter contributes its own language's words; a ``str`` is used as is.
    """
    template = CATALOGUE[code]
    en = {k: v.en if isinstance(v, Text) else v for k, v in params.items()}
    zh = {k: v.zh_cn if isinstance(v, Text) else v for k, v in params.items()}
    return Note(code, bilingual(template.en.format(**en), template.zh_cn.format(**zh)))


def join(parts: list[Text], *, empty: Text | None = None) -> Text:
    """Texts joined as a list in each language ("a, b" / "a、b")."""
    if not parts:
        return empty or bilingual("none", "无")
    return bilingual(", ".join(p.en for p in parts), "、".join(p.zh_cn for p in parts))


def plain(value: str) -> Text:
    """A value that reads the same in both languages (a number, a domain)."""
    return bilingual(value, value)


CHANNEL_KIND: dict[ChannelKind, Text] = {
    ChannelKind.PHONE: bilingual("phone number", "电话号码"),
    ChannelKind.SHORT_CODE: bilingual("service number", "服务号码"),
    ChannelKind.WEB_DOMAIN: bilingual("website", "网站"),
    ChannelKind.EMAIL_DOMAIN: bilingual("email domain", "邮箱域名"),
    ChannelKind.SOCIAL_ACCOUNT: bilingual("social media account", "社交媒体账号"),
    ChannelKind.IN_APP_PATH: bilingual("in-app entry", "应用内入口"),
    ChannelKind.APP_STORE_PUBLISHER: bilingual("app-store publisher", "应用商店开发者"),
}

SOURCE_TIER: dict[SourceTier, Text] = {
    SourceTier.OFFICIAL: bilingual("the provider's own page", "服务商官方页面"),
    SourceTier.SECONDARY: bilingual("a secondary public source", "第三方公开来源"),
    SourceTier.UNVERIFIED: bilingual("sources we could not confirm", "未经核实的来源"),
}

SHAPE: dict[PhoneShape, Text] = {
    PhoneShape.SHORT_CODE: bilingual("short service number", "短号服务号码"),
    PhoneShape.MOBILE: bilingual("mobile number", "手机号码"),
    PhoneShape.FIXED_LINE: bilingual("landline number", "固定电话号码"),
    PhoneShape.FIXED_LINE_OR_MOBILE: bilingual("landline or mobile number", "固话或手机号码"),
    PhoneShape.TOLL_FREE: bilingual("toll-free number", "免费电话号码"),
    PhoneShape.SHARED_COST: bilingual("shared-cost number (like 400)", "400 类分摊付费号码"),
    PhoneShape.UAN: bilingual("representative number", "统一代表号码"),
    PhoneShape.PREMIUM_RATE: bilingual("premium-rate number", "付费声讯号码"),
    PhoneShape.VOIP: bilingual("internet (VoIP) number", "网络电话号码"),
    PhoneShape.OTHER: bilingual("number", "号码"),
}


def channel_value(channel: Channel) -> Text:
    """A channel's value, marked "(unverified)" when its source is."""
    if channel.source_tier is SourceTier.UNVERIFIED:
        return bilingual(f"{channel.value} (unverified)", f"{channel.value}（未核实）")
    return plain(channel.value)


_T = bilingual

CATALOGUE: dict[str, Text] = {
    # -- what matched ---------------------------------------------------------------
    "official_channel": _T(
        "{value} is an official {kind} of {provider} (source: {tier}; last checked {date}).",
        "{value} 是{provider}的官方{kind}（来源：{tier}；最近核对 {date}）。",
    ),
    "source_unverified": _T(
        "This entry comes from sources we could not confirm; treat it with care.",
        "该条目来自未经核实的来源，请谨慎对待。",
    ),
    "caller_id_spoofable": _T(
        "Caller ID and SMS sender names can be faked: seeing {value} on your screen does not prove the caller works for {provider}.",
        "来电显示和短信发送方都可以伪造：屏幕上显示 {value}，并不能证明对方真的是{provider}。",
    ),
    "not_a_calling_number": _T(
        "{provider} does not call people from {value}; it is a number for you to call.",
        "{provider}不会用 {value} 给您打电话，这是供您拨打的号码。",
    ),
    "calls_only_from_listed": _T(
        "{provider} calls people only from {official}; a call from any other number is not {provider}.",
        "{provider}只会用 {official} 给您打电话；其他号码的来电都不是{provider}。",
    ),
    "known_fake": _T(
        "{value} is a known fake posing as {provider}.",
        "{value} 是已知的冒充{provider}的假冒联系方式。",
    ),
    "deprecated_channel": _T(
        "{provider} no longer uses {value}; its current contacts are {official}.",
        "{provider}已不再使用 {value}；现用联系方式为：{official}。",
    ),
    "discontinued_channel": _T(
        "{value} stopped being {provider}'s on {date}; anyone using it now is not {provider}.",
        "{value} 自 {date} 起已不再属于{provider}；现在使用它的人不是{provider}。",
    ),
    "discontinued_provider": _T(
        "{provider} closed on {date}; anyone offering its customer service now is a scammer.",
        "{provider}已于 {date} 停止服务；现在自称其客服的都是骗子。",
    ),
    "belongs_to_other_provider": _T(
        "{value} belongs to {owner}, not to {provider}.",
        "{value} 属于{owner}，不属于{provider}。",
    ),
    # -- phone rules -------------------------------------------------------------------
    "no_phone_support": _T(
        '{provider} has no customer-service phone line, so a "{provider} hotline" is not genuine.',
        "{provider}没有客服电话，所谓“{provider}客服热线”都不是真的。",
    ),
    "only_listed_numbers": _T(
        "{provider} says its only phone line is {official}; other numbers are likely phishing.",
        "{provider}表示其唯一电话是 {official}，其他号码很可能是钓鱼电话。",
    ),
    "wrong_shape": _T(
        "{provider}'s hotline is a {official_shape} ({official}), but this is a {shape}.",
        "{provider}的客服热线是{official_shape}（{official}），而这是一个{shape}。",
    ),
    "international_prefix": _T(
        "{value} is a domestic service number, shown here with an international prefix (+ or 00): genuine calls from it never have one, so this caller ID is forged.",
        "{value} 是境内服务号码，这里却带有国际前缀（+ 或 00）：真正的来电绝不会这样显示，这是伪造的来电号码。",
    ),
    "area_code_prefix": _T(
        "Shown with the area code {area}, which is how genuine calls from {value} can appear.",
        "带有区号 {area}，真正的 {value} 来电可能这样显示。",
    ),
    "area_code_unexpected": _T(
        "{value} is not normally shown with an area code in front; this form is not in our directory.",
        "{value} 通常不带区号显示；这种形式不在我们的目录中。",
    ),
    "lookalike_number": _T(
        "{value} is not {provider}'s number, but is made from it: {provider}'s is {official}. If you were told to press a key after dialling, call {official} itself and choose from its menu.",
        "{value} 不是{provider}的号码，而是在其官方号码上改动而来：{provider}的号码是 {official}。如果对方让您拨号后再按键，请直接拨打 {official}，再按语音菜单操作。",
    ),
    "mobile_number": _T(
        "This is a mobile number; customer-service hotlines are not personal mobile numbers.",
        "这是手机号码；客服热线不会使用个人手机号码。",
    ),
    # -- domain rules ------------------------------------------------------------------
    "lookalike_domain": _T(
        "{value} differs from {provider}'s {official} by {edits} character(s).",
        "{value} 与{provider}的 {official} 只差 {edits} 个字符。",
    ),
    "confusable_domain": _T(
        "{value} is made to look like {provider}'s {official} using look-alike characters ({shown}).",
        "{value} 用形似字符（{shown}）冒充{provider}的 {official}。",
    ),
    "brand_plus_word": _T(
        "{value} adds other words to {provider}'s name; {provider}'s official addresses are {official}.",
        "{value} 在{provider}的名称上加了其他字词；{provider}的官方地址是 {official}。",
    ),
    "brand_in_subdomain": _T(
        "{value} starts with {provider}'s name, but the site really belongs to {registrable}.",
        "{value} 以{provider}的名称开头，但实际网站属于 {registrable}。",
    ),
    "other_suffix": _T(
        "{value} uses {provider}'s name with a different ending; the official address is {official}.",
        "{value} 使用了{provider}的名称但后缀不同；官方地址是 {official}。",
    ),
    "userinfo_decoy": _T(
        'Everything before "@" is a decoy; this really goes to {value}.',
        "“@”之前的内容是伪装，实际指向的是 {value}。",
    ),
    "unreadable_link": _T(
        "We cannot tell which site this link really opens; genuine links have a plain address.",
        "无法判断该链接实际打开的是哪个网站；真正的官方链接地址都清晰可读。",
    ),
    "ip_address": _T(
        "The link goes to a bare IP address; official sites use their name.",
        "该链接直接指向 IP 地址；官方网站都使用域名。",
    ),
    "same_owner_unlisted": _T(
        "{value} is under {registrable}, which {provider} uses, but it is not one of {provider}'s listed addresses; pages there can be made by anyone the site lets publish.",
        "{value} 位于{provider}使用的 {registrable} 之下，但不是{provider}收录的官方地址；这类页面可能由任何人发布。",
    ),
    # -- social accounts ---------------------------------------------------------------
    "lookalike_account": _T(
        "{value} looks like {provider}'s official account {official}, but is not it.",
        "{value} 看起来像{provider}的官方账号 {official}，但并不是。",
    ),
    "platform_mismatch": _T(
        "{provider}'s account {official} is listed on {platform} only.",
        "{provider}的账号 {official} 只收录于 {platform}。",
    ),
    # -- nothing matched -----------------------------------------------------------------
    "not_listed": _T(
        "{value} is not in walletdesk's directory of official contacts. That does not make it safe.",
        "{value} 不在 walletdesk 的官方联系方式目录中。这并不代表它安全。",
    ),
    "not_listed_for_provider": _T(
        "{value} is not one of {provider}'s listed contacts; those are {official}.",
        "{value} 不是{provider}收录的联系方式；其官方联系方式为：{official}。",
    ),
    "not_recognised": _T(
        "We could not read this as a phone number, web address, email address or account name.",
        "无法识别为电话号码、网址、邮箱地址或账号名。",
    ),
    # -- advice ------------------------------------------------------------------------
    "advice_official": _T(
        "This is {provider}'s official contact. Even so, never share verification codes, PINs or passwords with anyone.",
        "这是{provider}的官方联系方式。即便如此，也不要向任何人透露验证码、支付密码或登录密码。",
    ),
    "advice_call_back": _T(
        "Hang up, then contact {provider} yourself through {official}.",
        "请挂断电话，再自行通过以下官方渠道联系{provider}：{official}。",
    ),
    "advice_do_not_engage": _T(
        "Do not call, reply, click or pay. Contact {provider} only through {official}.",
        "不要拨打、回复、点击或付款。只通过以下官方渠道联系{provider}：{official}。",
    ),
    "advice_do_not_engage_unknown": _T(
        "Do not call, reply, click or pay until you have checked it through the provider's official app or website.",
        "在通过服务商官方应用或官网核实之前，不要拨打、回复、点击或付款。",
    ),
    "advice_look_it_up": _T(
        "Find the official contact yourself in the provider's app or official website, not in search results, ads or messages.",
        "请自行在服务商官方应用或官网中查找官方联系方式，不要相信搜索结果、广告或消息中的号码。",
    ),
    "advice_never_share_codes": _T(
        'Never share verification codes, PINs or passwords, never share your screen, and never move money to a "safe account": real customer service never asks.',
        "绝不透露验证码、支付密码或登录密码，绝不共享屏幕，绝不向“安全账户”转账：真正的客服从不会这样要求。",
    ),
    "advice_anti_fraud": _T(
        "If you have already paid or shared a code, call {lines} and your bank at once.",
        "如果您已经付款或透露了验证码，请立即拨打 {lines} 并联系您的银行。",
    ),
    "advice_message_high": _T(
        "This has the marks of a scam. Stop replying or hang up now; do not pay, transfer, share a code, share your screen or install anything.",
        "这具有诈骗的典型特征。请立即停止回复或挂断电话；不要付款、转账、透露验证码、共享屏幕或安装任何软件。",
    ),
    "advice_message_medium": _T(
        "Be careful: this follows a common scam script. Check it yourself through the official app before doing anything it asks.",
        "请警惕：这符合常见的诈骗话术。在按对方要求操作之前，请先自行通过官方应用核实。",
    ),
    "advice_message_low": _T(
        "We found no red flags we know, which does not make the message safe. If anything in it asks for money or codes, stop and check through the official app.",
        "未发现已知的风险信号，但这并不代表消息安全。如果对方要钱或要验证码，请停下来并通过官方应用核实。",
    ),
    "advice_caller_id": _T(
        "Caller ID can be faked: hang up and call back on the official number yourself.",
        "来电显示可以伪造：请挂断后自行拨打官方号码回拨。",
    ),
}
