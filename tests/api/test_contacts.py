"""Customer service over HTTP: the contact directory, contact checks and message checks.

Public endpoints: no login. The fixture's fake clock starts on 2026-01-01.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

BACKENDS = ["sqlite"]  # no database is touched; one backend is enough
ZH = {"Accept-Language": "zh-CN"}


def test_the_directory_lists_walletdesk_first_with_tiers_and_dates(client: TestClient) -> None:
    response = client.get("/api/v1/contacts")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    house = body["items"][0]
    assert house["id"] == "walletdesk"
    phone = next(c for c in house["channels"] if c["kind"] == "phone")
    assert phone["value"] == "400-888-9999"
    assert phone["source_tier"] == "official"
    assert phone["last_verified"] == "2026-11-25"
    assert "FICTIONAL" in phone["source"]
    ids = [p["id"] for p in body["items"]]
    assert {"alipay", "wechat_pay", "unionpay", "paypal", "line_pay_japan", "anti_fraud_cn"} <= set(
        ids
    )


def test_one_provider_by_name_with_its_fakes_kept_apart(client: TestClient) -> None:
    response = client.get("/api/v1/contacts", params={"provider": "支付宝"}, headers=ZH)
    assert response.status_code == 200
    (alipay,) = response.json()["items"]
    assert alipay["name"] == "支付宝"
    assert [c["value"] for c in alipay["channels"]] == ["95188", "alipay.com", "我的 → 客服中心"]
    assert alipay["channels"][0]["source_tier"] == "unverified"
    assert [(c["value"], c["status"]) for c in alipay["do_not_use"]] == [("95055", "known_fake")]
    assert alipay["policies"][0]["message"].startswith("支付宝")


def test_the_directory_pages_with_a_cursor(client: TestClient) -> None:
    first = client.get("/api/v1/contacts", params={"limit": 2}).json()
    assert len(first["items"]) == 2
    second = client.get("/api/v1/contacts", params={"limit": 2, "cursor": first["next_cursor"]})
    assert second.json()["items"][0]["id"] != first["items"][1]["id"]
    bad = client.get("/api/v1/contacts", params={"cursor": "nope"})
    assert bad.status_code == 422


def test_an_unknown_provider_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/contacts", params={"provider": "Bank of Nowhere"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_provider"


def test_checking_an_official_number_on_an_incoming_call(client: TestClient) -> None:
    response = client.get(
        "/api/v1/contacts/check", params={"value": "95188", "direction": "incoming"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "official_but_spoofable"
    assert body["provider"] == {"id": "alipay", "name": "Alipay"}
    assert body["channel"]["source_tier"] == "unverified"
    assert "caller_id_spoofable" in [r["code"] for r in body["reasons"]]
    assert body["advice"][0]["code"] == "advice_call_back"


def test_checking_a_forged_96110_in_chinese(client: TestClient) -> None:
    response = client.get("/api/v1/contacts/check", params={"value": "0086 96110"}, headers=ZH)
    body = response.json()
    assert body["verdict"] == "suspicious"
    assert body["provider"]["name"] == "国家反诈中心"
    assert body["reasons"][0]["code"] == "international_prefix"
    assert "国际前缀" in body["reasons"][0]["message"]
    anti_fraud = next(a for a in body["advice"] if a["code"] == "advice_anti_fraud")
    assert "96110" in anti_fraud["message"]


def test_checking_a_claimed_hotline(client: TestClient) -> None:
    response = client.get(
        "/api/v1/contacts/check", params={"value": "13800138000", "provider": "alipay"}
    )
    body = response.json()
    assert body["verdict"] == "suspicious"
    assert [r["code"] for r in body["reasons"]] == ["wrong_shape", "mobile_number"]


def test_an_unlisted_value_is_unknown_never_safe(client: TestClient) -> None:
    body = client.get("/api/v1/contacts/check", params={"value": "example.com"}).json()
    assert body["verdict"] == "unknown"
    assert body["provider"] is None
    assert "safe" in body["reasons"][0]["message"]  # "That does not make it safe."


def test_the_anti_fraud_line_follows_the_client_country(client: TestClient) -> None:
    body = client.get(
        "/api/v1/contacts/check", params={"value": "95055"}, headers={"X-Client-Country": "GB"}
    ).json()
    anti_fraud = next(a for a in body["advice"] if a["code"] == "advice_anti_fraud")
    assert "159" in anti_fraud["message"]
    assert "96110" not in anti_fraud["message"]


def test_discontinued_providers_are_judged_on_the_servers_day(client: TestClient) -> None:
    body = client.get("/api/v1/contacts/check", params={"value": "line-pay-help.jp"}).json()
    assert body["verdict"] == "suspicious"
    assert body["reasons"][0]["code"] == "discontinued_provider"


def test_bad_check_requests_are_validation_problems(client: TestClient) -> None:
    assert client.get("/api/v1/contacts/check").status_code == 422
    assert client.get("/api/v1/contacts/check", params={"value": ""}).status_code == 422
    wrong_direction = client.get(
        "/api/v1/contacts/check", params={"value": "95188", "direction": "sideways"}
    )
    assert wrong_direction.status_code == 422
    assert wrong_direction.json()["code"] == "validation_error"
    unknown = client.get("/api/v1/contacts/check", params={"value": "95188", "provider": "nobody"})
    assert unknown.status_code == 404


@pytest.mark.parametrize("value", ["   ", "\t", "\u3000"])
def test_a_blank_value_is_a_validation_problem_in_both_languages(
    client: TestClient, value: str
) -> None:
    english = client.get("/api/v1/contacts/check", params={"value": value})
    assert english.status_code == 422
    assert english.headers["content-type"].startswith("application/problem+json")
    assert english.json()["code"] == "validation_error"
    assert english.json()["title"] == "Invalid request"
    assert [e["field"] for e in english.json()["errors"]] == ["value"]
    chinese = client.get("/api/v1/contacts/check", params={"value": value}, headers=ZH)
    assert chinese.status_code == 422
    assert chinese.json()["title"] == "请求无效"


def test_a_value_with_spaces_around_it_is_checked_trimmed(client: TestClient) -> None:
    body = client.get("/api/v1/contacts/check", params={"value": "\u3000 95188 \t"}).json()
    assert body["verdict"] == "official"


def test_checking_a_scam_message(client: TestClient) -> None:
    response = client.post(
        "/api/v1/contacts/check-message",
        json={"text": "我是支付宝客服，您的账户异常，请把验证码告诉我。也可拨打 +86 95188"},
        headers=ZH,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["risk"] == "high"
    codes = {f["code"] for f in body["red_flags"]}
    assert {"asks_for_code", "account_abnormal", "suspicious_contact"} <= codes
    code_flag = next(f for f in body["red_flags"] if f["code"] == "asks_for_code")
    assert code_flag["severity"] == "high"
    assert code_flag["evidence"] == "验证码告诉"
    assert code_flag["message"] == "索要验证码、支付密码或登录密码。"
    assert [c["verdict"] for c in body["checked_contacts"]] == ["suspicious"]
    assert body["providers_mentioned"] == [{"id": "alipay", "name": "支付宝"}]
    assert body["advice"][0]["code"] == "advice_message_high"


def test_a_negation_before_something_else_does_not_hide_a_code_request(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/v1/contacts/check-message",
        json={"text": "This is Alipay support. Don't worry and just read me the code we sent you."},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["risk"] == "high"
    assert [f["code"] for f in body["red_flags"]] == ["asks_for_code"]


def test_the_assistant_warns_of_a_code_request_after_dont_hang_up(client: TestClient) -> None:
    # The assistant reads the same check: "不要挂电话" negates hanging up, not the request.
    answer = client.post(
        "/api/v1/assistant/messages",
        json={"text": "客服说不要挂电话并把验证码告诉他，这正常吗"},
        headers=ZH,
    ).json()
    assert answer["scam_warning"] is True


def test_checking_a_genuine_message(client: TestClient) -> None:
    response = client.post(
        "/api/v1/contacts/check-message",
        json={"text": "Your sign-in code is 482913. Never share this code with anyone."},
    )
    body = response.json()
    assert body["risk"] == "low"
    assert body["red_flags"] == []
    assert body["checked_contacts"] == []


def test_bad_message_requests_are_validation_problems(client: TestClient) -> None:
    assert client.post("/api/v1/contacts/check-message", json={}).status_code == 422
    assert client.post("/api/v1/contacts/check-message", json={"text": ""}).status_code == 422
    too_long = client.post("/api/v1/contacts/check-message", json={"text": "x" * 10_001})
    assert too_long.status_code == 422


def test_the_endpoints_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/contacts", "/api/v1/contacts/check", "/api/v1/contacts/check-message"} <= set(
        paths
    )
