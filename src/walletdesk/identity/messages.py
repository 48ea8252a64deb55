"""Identity's error messages in both languages: code -> locale -> text ({param} placeholders)."""

from __future__ import annotations

ERRORS: dict[str, dict[str, str]] = {
    "unauthenticated": {"en": "Please log in.", "zh-CN": "请先登录。"},
    "title.unauthenticated": {"en": "Not logged in", "zh-CN": "未登录"},
    "invalid_credentials": {
        "en": "The login or password is not right.",
        "zh-CN": "账号或密码不正确。",
    },
    "title.invalid_credentials": {"en": "Login failed", "zh-CN": "登录失败"},
    "totp_required": {
        "en": "Enter the 6-digit code from your authenticator app (or a recovery code).",
        "zh-CN": "请输入身份验证器应用中的 6 位验证码（或恢复码）。",
    },
    "title.totp_required": {"en": "Code needed", "zh-CN": "需要验证码"},
    "totp_invalid": {
        "en": "That code is not right or was already used.",
        "zh-CN": "验证码不正确或已被使用。",
    },
    "title.totp_invalid": {"en": "Wrong code", "zh-CN": "验证码错误"},
    "account_locked": {
        "en": "Too many failed attempts. Try again after {locked_until} (UTC), or reset your password.",
        "zh-CN": "失败次数过多，请在 {locked_until}（UTC）之后再试，或重置密码。",
    },
    "title.account_locked": {"en": "Temporarily locked", "zh-CN": "暂时锁定"},
    "forbidden": {
        "en": "This action is not allowed for your role.",
        "zh-CN": "您的角色无权执行此操作。",
    },
    "title.forbidden": {"en": "Not allowed", "zh-CN": "无权操作"},
    "verification_required": {
        "en": "Confirm it's you first: re-enter your password, an authenticator code or an SMS code.",
        "zh-CN": "请先验证身份：重新输入密码、身份验证器验证码或短信验证码。",
    },
    "title.verification_required": {"en": "Verification needed", "zh-CN": "需要验证身份"},
    "second_factor_required": {
        "en": "Confirm it's you with a code from your authenticator app or a recovery code "
        "first: your password alone cannot turn two-factor authentication off or make new "
        "recovery codes.",
        "zh-CN": "请先使用身份验证器应用中的验证码或恢复码验证身份：仅凭密码无法关闭双重验证或"
        "重新生成恢复码。",
    },
    "title.second_factor_required": {"en": "Second factor needed", "zh-CN": "需要第二重验证"},
    "sms_rate_limited": {
        "en": "Too many codes were sent to this phone number. Nothing was sent this time; "
        "try again after {retry_after} (UTC), or confirm with your password or authenticator.",
        "zh-CN": "发送到该手机号的验证码次数过多，本次未发送。请在 {retry_after}（UTC）之后再试，"
        "或使用密码或身份验证器验证。",
    },
    "title.sms_rate_limited": {"en": "Too many codes", "zh-CN": "验证码发送过于频繁"},
    "account_frozen": {
        "en": "This account is frozen: you can look, but money cannot move, the password, "
        "phone, email, cards, two-factor settings and verification tier cannot change, and no "
        "confirmation code or step-up can be made for them. Contact customer service: an agent "
        "can check it's you on your ticket and unfreeze it.",
        "zh-CN": "该账户已冻结：可以查看，但无法转出资金，无法修改密码、手机号、邮箱、银行卡、"
        "双重验证设置或实名认证等级，也无法为此获取验证码或进行身份验证。请联系客服：客服可在"
        "您的工单中核实本人身份后为您解冻。",
    },
    "title.account_frozen": {"en": "Account frozen", "zh-CN": "账户已冻结"},
    "password_too_weak": {
        "en": "Use at least {min_length} characters mixing letters, digits or symbols, or a "
        "passphrase of 16+ characters. Avoid common words and your own name or phone number.",
        "zh-CN": "密码至少 {min_length} 位，并混合字母、数字或符号；或使用 16 位以上的短语。"
        "请避免常见词语以及您的姓名或手机号。",
    },
    "title.password_too_weak": {"en": "Password too weak", "zh-CN": "密码强度不足"},
    "phone_invalid": {
        "en": "This is not a phone number we can reach.",
        "zh-CN": "该手机号码无效。",
    },
    "title.phone_invalid": {"en": "Invalid phone number", "zh-CN": "手机号无效"},
    "email_invalid": {
        "en": "This is not an email address we can reach.",
        "zh-CN": "该邮箱地址无效。",
    },
    "title.email_invalid": {"en": "Invalid email", "zh-CN": "邮箱无效"},
    "login_required": {
        "en": "Give a phone number or an email address.",
        "zh-CN": "请填写手机号或邮箱。",
    },
    "title.login_required": {"en": "Login needed", "zh-CN": "需要账号"},
    "login_taken": {
        "en": "This phone number or email is already registered. Try logging in.",
        "zh-CN": "该手机号或邮箱已被注册，请直接登录。",
    },
    "title.login_taken": {"en": "Already registered", "zh-CN": "已注册"},
    "totp_already_enabled": {
        "en": "Two-factor authentication is already on.",
        "zh-CN": "双重验证已开启。",
    },
    "title.totp_already_enabled": {"en": "Already on", "zh-CN": "已开启"},
    "totp_not_enrolled": {
        "en": "Two-factor authentication is not set up.",
        "zh-CN": "尚未设置双重验证。",
    },
    "title.totp_not_enrolled": {"en": "Not set up", "zh-CN": "未设置"},
    "code_invalid": {
        "en": "That code or password is not right, has expired, or was already used.",
        "zh-CN": "验证码或密码不正确、已过期或已被使用。",
    },
    "title.code_invalid": {"en": "Wrong code", "zh-CN": "验证失败"},
    "card_invalid": {
        "en": "Check the card number and expiry date.",
        "zh-CN": "请检查卡号和有效期。",
    },
    "title.card_invalid": {"en": "Invalid card", "zh-CN": "银行卡无效"},
    "kyc_rejected": {
        "en": "We could not verify these documents. Check the name and ID number.",
        "zh-CN": "无法核验您提交的证件，请检查姓名和证件号码。",
    },
    "title.kyc_rejected": {"en": "Verification failed", "zh-CN": "实名认证失败"},
    "no_phone_on_file": {
        "en": "Add a phone number first, or confirm with your password.",
        "zh-CN": "请先绑定手机号，或使用密码验证。",
    },
    "title.no_phone_on_file": {"en": "No phone number", "zh-CN": "未绑定手机号"},
    "email_rate_limited": {
        "en": "Too many codes were sent to this email address. Nothing was sent this time; "
        "try again after {retry_after} (UTC).",
        "zh-CN": "发送到该邮箱的验证码次数过多，本次未发送。请在 {retry_after}（UTC）之后再试。",
    },
    "title.email_rate_limited": {"en": "Too many codes", "zh-CN": "验证码发送过于频繁"},
    "no_contact_on_file": {
        "en": "There is no phone number or email address of that kind on this account to "
        "verify. Add it first.",
        "zh-CN": "该账户尚未绑定这类手机号或邮箱，无可验证的内容，请先添加。",
    },
    "title.no_contact_on_file": {"en": "Nothing to verify", "zh-CN": "无可验证的联系方式"},
    "contact_already_verified": {
        "en": "This phone number or email address is already verified.",
        "zh-CN": "该手机号或邮箱已验证。",
    },
    "title.contact_already_verified": {"en": "Already verified", "zh-CN": "已验证"},
    "locale_not_supported": {
        "en": "Choose zh-CN or en.",
        "zh-CN": "请选择 zh-CN 或 en。",
    },
    "title.locale_not_supported": {"en": "Language not supported", "zh-CN": "语言不支持"},
}
