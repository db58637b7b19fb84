import pytest

from vtab.catalog.columns import snake_case
from vtab.catalog.schema import load_schema, supported_types


def test_integration_response_facts_come_from_the_schema_file() -> None:
    schema = load_schema("AWS::ApiGatewayV2::IntegrationResponse")
    assert schema.primary_identifier == ("ApiId", "IntegrationId", "IntegrationResponseId")
    assert schema.create_only == {"ApiId", "IntegrationId"}
    assert schema.read_only == {"IntegrationResponseId"}
    assert schema.required == ("ApiId", "IntegrationId", "IntegrationResponseKey")
    assert schema.enum("ContentHandlingStrategy") == ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")
    assert schema.permissions["update"] == ("apigateway:PATCH", "apigateway:PUT", "apigateway:GET")
    assert [p.type_name for p in schema.parents] == [
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Integration",
    ]
    assert schema.table_name == "integration_responses"


def test_column_names_are_snake_case() -> None:
    assert snake_case("IntegrationResponseId") == "integration_response_id"
    assert snake_case("ApiId") == "api_id"


def test_identifier_round_trip_and_errors() -> None:
    schema = load_schema("AWS::ApiGatewayV2::IntegrationResponse")
    assert schema.split_identifier("a|i|r") == {
        "ApiId": "a",
        "IntegrationId": "i",
        "IntegrationResponseId": "r",
    }
    assert schema.identifier_of({"ApiId": "a", "IntegrationId": "i", "IntegrationResponseId": "r"}) == "a|i|r"
    with pytest.raises(ValueError, match="has 2 part"):
        schema.split_identifier("a|i")
    with pytest.raises(ValueError, match="empty IntegrationId"):
        schema.split_identifier("a||r")


def test_unknown_type_names_the_supported_ones() -> None:
    with pytest.raises(KeyError, match="AWS::ApiGatewayV2::Api"):
        load_schema("AWS::S3::Bucket")
    assert "AWS::ApiGatewayV2::IntegrationResponse" in supported_types()
