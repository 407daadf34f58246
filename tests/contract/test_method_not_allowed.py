"""A method a resource does not support: 405 naming the ones it does (RFC 9110 `Allow`)."""

from flask.testing import FlaskClient


def test_a_method_the_resource_lacks_is_answered_405_with_the_allowed_methods(
    client: FlaskClient,
) -> None:
    answer = client.put("/api/v1/configurations", json={})
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"POST", "OPTIONS"}
    assert answer.get_json()["detail"]
