import pytest

from forum.config import ConfigError, Settings, check_production

pytestmark = pytest.mark.no_database

SAFE_PRODUCTION = {
    "FORUM_ENV": "production",
    "FORUM_SECRET_KEY": "x" * 40,
    "FORUM_BASE_URL": "https://forum.example.org",
    "FORUM_DATABASE_URL": "postgres://forum@127.0.0.1/forum",
    "FORUM_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\\nnot checked here\\n-----END PRIVATE KEY-----",
}


def test_development_defaults_are_usable():
    settings = Settings.from_env({})

    assert settings.env == "development"
    assert settings.database_url.endswith("var/forum.sqlite3")
    assert settings.dev_sign_in is True
    assert check_production(settings) == []


def test_safe_production_settings_pass():
    settings = Settings.from_env(SAFE_PRODUCTION)

    assert settings.dev_sign_in is False
    assert check_production(settings) == []


@pytest.mark.parametrize(
    ("changes", "expected_variable"),
    [
        ({"FORUM_SECRET_KEY": ""}, "FORUM_SECRET_KEY is missing"),
        ({"FORUM_SECRET_KEY": "short"}, "FORUM_SECRET_KEY is unsafe"),
        ({"FORUM_DEV_SIGN_IN": "true"}, "FORUM_DEV_SIGN_IN is enabled"),
        ({"FORUM_SECURE_COOKIES": "false"}, "FORUM_SECURE_COOKIES is off"),
        ({"FORUM_BASE_URL": "http://forum.example.org"}, "FORUM_BASE_URL must start with https://"),
        ({"FORUM_SIGNING_KEY": ""}, "FORUM_SIGNING_KEY is missing"),
    ],
)
def test_production_names_each_unsafe_setting(changes, expected_variable):
    problems = check_production(Settings.from_env({**SAFE_PRODUCTION, **changes}))

    assert len(problems) == 1
    assert problems[0].startswith(expected_variable)


def test_production_lists_every_problem_at_once():
    problems = check_production(
        Settings.from_env({"FORUM_ENV": "production", "FORUM_DEV_SIGN_IN": "yes"})
    )

    assert [line.split(" ")[0] for line in problems] == [
        "FORUM_SECRET_KEY",
        "FORUM_DEV_SIGN_IN",
        "FORUM_BASE_URL",
        "FORUM_SIGNING_KEY",
    ]


def test_create_app_refuses_unsafe_production():
    from forum.app import create_app

    with pytest.raises(ConfigError, match="FORUM_SECRET_KEY is missing"):
        create_app(Settings.from_env({"FORUM_ENV": "production"}))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FORUM_ENV": "staging"}, "FORUM_ENV must be development, test or production"),
        ({"FORUM_DEV_SIGN_IN": "maybe"}, "FORUM_DEV_SIGN_IN must be true or false"),
        ({"FORUM_MAX_POST_LENGTH": "lots"}, "FORUM_MAX_POST_LENGTH must be a whole number"),
        ({"FORUM_MAX_POST_LENGTH": "5"}, "FORUM_MAX_POST_LENGTH must be at least 100"),
    ],
)
def test_unreadable_values_name_the_variable(environ, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(environ)


def test_postgresql_scheme_is_normalised():
    settings = Settings.from_env({"FORUM_DATABASE_URL": "postgresql://u@127.0.0.1:5432/forum"})

    assert settings.database_url == "postgres://u@127.0.0.1:5432/forum"
    assert not settings.is_sqlite
