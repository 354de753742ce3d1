from __future__ import annotations

from sessions_core import checks_host

PROCESSOR = "sessions_core.context_processors.session_lifetime"


def ids(messages):
    return [message.id for message in messages]


def test_the_context_processor_is_there_in_bankdemo():
    assert checks_host.check_context_processor() == []


def test_e015_without_the_context_processor(settings):
    settings.TEMPLATES = [
        {
            **engine,
            "OPTIONS": {
                **engine.get("OPTIONS", {}),
                "context_processors": [
                    p for p in engine["OPTIONS"]["context_processors"] if p != PROCESSOR
                ],
            },
        }
        for engine in settings.TEMPLATES
    ]
    assert ids(checks_host.check_context_processor()) == ["sessions_core.E015"]


def test_e016_urls_that_do_not_resolve(settings):
    assert checks_host.check_urls() == []
    settings.LOGIN_URL = "no-such-url-name"
    settings.SESSIONS_CORE_LOGOUT_URL = "signout"
    assert ids(checks_host.check_urls()) == ["sessions_core.E016"] * 2
    settings.LOGIN_URL = "/a/path/always/resolves/"
    assert ids(checks_host.check_urls()) == ["sessions_core.E016"]
