"""The AWS fake refuses what the real IAM refuses (connectors/aws/fake_contract.py): checked
against botocore's own model, over the wire, with boto3 and with a raw query request."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack

import boto3
import pytest
from botocore.exceptions import ClientError

from nhi_connectors.aws import fake


@pytest.fixture(scope="module")
def iam():
    with ExitStack() as stack:
        url = fake.start_server(stack)
        yield (
            url,
            boto3.client(
                "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
            ),
        )


def test_a_page_size_above_the_models_maximum_is_a_validation_error(iam):
    _, client = iam
    client.get_account_authorization_details(MaxItems=1000)  # IAM's documented maximum
    for call, kwargs in (
        (client.get_account_authorization_details, {"MaxItems": 1001}),
        (client.list_users, {"MaxItems": 5000}),
    ):
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert err.value.response["Error"]["Code"] == "ValidationError"
        assert "less than or equal to 1000" in err.value.response["Error"]["Message"]


def test_an_undeclared_parameter_is_a_validation_error(iam):
    url, _ = iam
    body = urllib.parse.urlencode({"Action": "ListUsers", "Version": "2010-05-08", "PageSize": "10"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and b"PageSize is not a parameter of ListUsers" in err.value.read()
