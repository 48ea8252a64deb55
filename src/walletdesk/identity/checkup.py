"""The security check-up: a score, each item's state, and advice in zh-CN and en."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select

from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.model import User

RECENT_DEVICE_DAYS = 14

ADVICE: dict[str, dict[str, tuple[str, str]]] = {
    # item id -> locale -> (advice when ok, advice when not ok)
    "two_factor": {
        "en": (
            "Two-factor authentication is on.",
            "Turn on two-factor authentication: a stolen password alone will not open your wallet.",
        ),
        "zh-CN": ("已开启双重验证。", "请开启双重验证：即使密码被盗，别人也无法登录您的钱包。"),
    },
    "strong_password": {
        "en": (
            "Your password is strong.",
            "Change to a longer, unique password you use nowhere else.",
        ),
        "zh-CN": ("您的密码强度良好。", "请改用更长、且未在其他地方使用过的密码。"),
    },
    "recent_devices": {
        "en": (
            "No unfamiliar device signed in recently.",
            "A new device signed in recently. If it wasn't you, sign it out and change your password.",
        ),
        "zh-CN": (
            "近期没有陌生设备登录。",
            "近期有新设备登录。如果不是您本人，请立即将其下线并修改密码。",
        ),
    },
    "alert_channels": {
        "en": (
            "Security alerts reach you by SMS or email.",
            "Add a phone number or email so security alerts reach you outside the app.",
        ),
        "zh-CN": (
            "安全提醒可通过短信或邮件送达。",
            "请添加手机号或邮箱，以便在应用外收到安全提醒。",
        ),
    },
    "verified_contacts": {
        "en": (
            "Your phone number and email address are verified.",
            "Verify your phone number and email address under Me: until you do, nobody can "
            "send you money by them, and emails and calls you send to customer service from "
            "them cannot be matched to your account.",
        ),
        "zh-CN": (
            "您的手机号和邮箱均已验证。",
            "请在“我的”页面验证您的手机号和邮箱：验证之前，他人无法通过它们向您转账，您从它们"
            "发给客服的邮件和来电也无法对应到您的账户。",
        ),
    },
    "recovery_codes": {
        "en": (
            "You have recovery codes left. Keep them offline, somewhere safe.",
            "You are running out of recovery codes: make new ones and store them safely.",
        ),
        "zh-CN": ("您还有可用的恢复码，请离线妥善保存。", "恢复码即将用完：请重新生成并妥善保存。"),
    },
}

# Guidance every user needs, whatever their settings (DOMAIN.md §1 and §6).
TIPS: dict[str, dict[str, str]] = {
    "never_share_codes": {
        "en": "Never share a verification code, password or PIN — walletdesk staff will never ask.",
        "zh-CN": "切勿向任何人透露验证码、密码或支付密码——walletdesk 工作人员绝不会索要。",
    },
    "unknown_links": {
        "en": "Do not open links in unexpected texts or emails; open the app yourself instead.",
        "zh-CN": "不要点击陌生短信或邮件中的链接，请自行打开应用查看。",
    },
    "public_wifi": {
        "en": "Avoid paying on public Wi-Fi; use mobile data or a network you trust.",
        "zh-CN": "避免在公共 Wi-Fi 下付款，请使用移动数据或可信网络。",
    },
    "fake_customer_service": {
        "en": (
            "Fake 'customer service' numbers are common. Find the official number in the app "
            "(Me → Help & feedback) or check any number with our scam checker before calling."
        ),
        "zh-CN": (
            "网上常见假冒“客服”电话。请在应用内（我的 → 帮助与反馈）查找官方电话，"
            "或在拨打前用诈骗号码查询工具核实。"
        ),
    },
    "safe_account": {
        "en": "There is no such thing as a 'safe account'. Anyone asking you to move money to one is a scammer.",
        "zh-CN": "根本不存在所谓的“安全账户”。任何要求您转账到“安全账户”的人都是骗子。",
    },
}


def get_checkup(deps: IdentityDeps, user_id: uuid.UUID, locale: str) -> dict[str, Any]:
    now = deps.clock.now()
    lang = "zh-CN" if locale == "zh-CN" else "en"
    with deps.engine.connect() as conn:
        user = store.get_user(conn, user_id)
        recent_unknown = conn.execute(
            select(t.devices.c.device_key).where(
                and_(
                    t.devices.c.user_id == user_id,
                    t.devices.c.trusted.is_(False),
                    t.devices.c.first_seen_at > now - timedelta(days=RECENT_DEVICE_DAYS),
                )
            )
        ).first()
        codes_left = store.unused_recovery_codes(conn, user_id)
    states = {
        "two_factor": user.totp_enabled,
        "strong_password": user.password_strength >= 3,
        "recent_devices": recent_unknown is None,
        "alert_channels": bool(user.phone or user.email),
        "verified_contacts": _contacts_verified(user),
        "recovery_codes": user.totp_enabled and codes_left >= 3,
    }
    weights = {
        "two_factor": 30,
        "strong_password": 25,
        "recent_devices": 15,
        "alert_channels": 10,
        "verified_contacts": 10,
        "recovery_codes": 10,
    }
    score = sum(weights[item] for item, ok in states.items() if ok)
    items = [
        {"id": item, "ok": ok, "advice": ADVICE[item][lang][0 if ok else 1]}
        for item, ok in states.items()
        if item != "recovery_codes" or user.totp_enabled
    ]
    tips = [{"id": tip, "advice": text[lang]} for tip, text in TIPS.items()]
    return {"score": score, "items": items, "tips": tips}


def _contacts_verified(user: User) -> bool:
    """Every contact on file is verified (and there is one: none at all is not safe)."""
    on_file = [
        verified_at
        for contact, verified_at in (
            (user.phone, user.phone_verified_at),
            (user.email, user.email_verified_at),
        )
        if contact
    ]
    return bool(on_file) and all(verified_at is not None for verified_at in on_file)
