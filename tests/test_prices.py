"""The price table as data and `platformctl prices refresh` against the Price List API (botocore's Stubber)."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from platformctl import prices as P
from platformctl.cli import app


def test_the_bundled_table_is_valid_dated_and_sourced():
    table = P.load_table()
    assert not P.validate_table(table.doc)
    assert {"eu-west-1", "us-east-1"} <= set(table.regions)
    for name in table.doc["sources"]:
        src = table.source(name)
        assert len(src["where"]) > 40 and src["date"][:2] == "20", name
    for region in table.regions:
        for key in table.keys(region):
            assert table.price(region, key).usd > 0, (region, key)


def test_every_instance_type_of_the_stacks_is_priced_in_their_region(plans):
    table = P.load_table()
    for plan in plans.values():
        for pool in plan.config.node_pools:
            for t in pool.instance_types:
                assert table.price(plan.config.region, P.ec2_key(t)), (plan.stack, t)
                assert table.instance_type(t), t


def test_a_price_the_table_does_not_have_is_none_never_another_regions():
    table = P.load_table()
    assert table.price("eu-west-1", "ec2.m7i.xlarge").usd != table.price("us-east-1", "ec2.m7i.xlarge").usd
    assert table.price("eu-west-1", "rds.db.t4g.medium.multi-az") is None  # only us-east-1 has it
    assert table.price("ap-southeast-2", "nat.hour") is None


def test_a_malformed_table_is_refused(tmp_path):
    doc = json.loads(P.TABLE_FILE.read_text())
    doc["regions"]["eu-west-1"]["nat.hour"]["source"] = "nowhere"
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(P.PriceTableError, match="unknown source 'nowhere'"):
        P.load_table(path)


# ------------------------------------------------------------------------------------------- refresh


def product(usagetype: str, usd: str, unit: str = "Hrs", *, begin: str = "0", **attributes: str) -> str:
    """One GetProducts PriceList item, shaped as AWS returns it (a JSON string)."""
    sku = f"SKU{abs(hash((usagetype, usd, begin))) % 10**8}"
    return json.dumps(
        {
            "product": {"productFamily": "x", "attributes": {"usagetype": usagetype, **attributes}, "sku": sku},
            "serviceCode": "x",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": unit,
                                "beginRange": begin,
                                "endRange": "Inf",
                                "pricePerUnit": {"USD": usd},
                                "description": "test",
                            }
                        }
                    }
                }
            },
            "version": "20260925174521",
            "publicationDate": "2026-09-25T17:45:21Z",
        }
    )


def stubbed():
    client = botocore.session.get_session().create_client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def expect(stub: Stubber, query: P.Query, region: str, items: list[str], next_token: str | None = None, token=None):
    params = {
        "ServiceCode": query.service,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
        + [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in query.filters],
        "FormatVersion": "aws_v1",
    }
    if token:
        params["NextToken"] = token
    response = {"FormatVersion": "aws_v1", "PriceList": items}
    if next_token:
        response["NextToken"] = next_token
    stub.add_response("get_products", response, params)


def test_refresh_reads_each_key_with_its_filters_and_usage_type():
    client, stub = stubbed()
    nat = P.FIXED_QUERIES["nat.hour"]
    ec2 = P.ec2_query("m7i.xlarge")
    queries = {"nat.hour": nat, "ec2.m7i.xlarge": ec2}
    # NAT: the zonal gateway's hours (the regional NAT gateway and the bytes are other usage types), over two pages.
    expect(stub, ec2, "eu-west-1", [product("EU-BoxUsage:m7i.xlarge", "0.2247000000", instanceType="m7i.xlarge")])
    expect(stub, nat, "eu-west-1", [product("EU-NatGateway-Bytes", "0.048", "GB")], next_token="page2")
    expect(
        stub,
        nat,
        "eu-west-1",
        [product("EU-NatGateway-Hours", "0.0480000000"), product("EU-RegionalNatGateway-Hours", "0.9")],
        token="page2",
    )
    with stub:
        result = P.refresh(client, ["eu-west-1"], queries, base=P.load_table().doc)
    stub.assert_no_pending_responses()
    prices = result.doc["regions"]["eu-west-1"]
    assert prices["nat.hour"]["usd"] == 0.048 and prices["ec2.m7i.xlarge"]["usd"] == 0.2247
    assert result.missing == []
    source = result.doc["sources"][prices["nat.hour"]["source"]]
    assert "GetProducts ServiceCode=AmazonEC2" in source["where"] and "2026-09-25T17:45:21Z" in source["where"]
    assert not P.validate_table(result.doc)


def test_refresh_leaves_out_what_is_missing_or_ambiguous():
    client, stub = stubbed()
    eks = P.FIXED_QUERIES["eks.cluster"]
    endpoint = P.FIXED_QUERIES["endpoint.gb"]
    expect(stub, eks, "ap-southeast-2", [])
    # Two first-tier prices for one key: refused, not averaged or picked. (A second tier, beginRange > 0, is ignored.)
    expect(
        stub,
        endpoint,
        "ap-southeast-2",
        [
            product("APS2-VpcEndpoint-Bytes", "0.01", "GB"),
            product("APS2-VpcEndpoint-Bytes", "0.006", "GB", begin="1048576"),
            product("APS2-VpcEndpoint-Bytes", "0.02", "GB"),
        ],
    )
    with stub:
        result = P.refresh(client, ["ap-southeast-2"], {"eks.cluster": eks, "endpoint.gb": endpoint})
    assert result.doc["regions"]["ap-southeast-2"] == {}
    assert result.missing == [
        "ap-southeast-2 eks.cluster: no matching product",
        "ap-southeast-2 endpoint.gb: ambiguous: 2 different prices (0.01, 0.02)",
    ]


def test_usage_type_patterns_accept_every_region_prefix_and_nothing_else():
    q = P.FIXED_QUERIES["nat.hour"]
    assert all(
        q.matches({"usagetype": u}) for u in ("NatGateway-Hours", "EU-NatGateway-Hours", "USE2-NatGateway-Hours")
    )
    assert not any(q.matches({"usagetype": u}) for u in ("EU-RegionalNatGateway-Hours", "EU-NatGateway-Prvd-Hours"))


def test_refresh_without_credentials_exits_5(monkeypatch, tmp_path):
    from botocore.exceptions import NoCredentialsError

    def no_credentials(*_a, **_k):
        raise NoCredentialsError()

    monkeypatch.setattr(P, "refresh", no_credentials)
    result = CliRunner().invoke(app, ["prices", "refresh", "--output", str(tmp_path / "p.json")])
    assert result.exit_code == 5
    assert "pricing:GetProducts" in result.output
    assert not (tmp_path / "p.json").exists()


def test_refresh_cli_writes_the_table(monkeypatch, tmp_path):
    seen = {}

    def fake_refresh(client, regions, queries, **kwargs):
        seen.update(regions=list(regions), keys=set(queries))
        return P.RefreshResult(json.loads(P.TABLE_FILE.read_text()), ["eu-west-1 rds.backup: no matching product"])

    monkeypatch.setattr(P, "refresh", fake_refresh)
    monkeypatch.setattr(P, "pricing_client", lambda region: object())
    out = tmp_path / "p.json"
    result = CliRunner().invoke(app, ["prices", "refresh", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert seen["regions"] == ["eu-west-1", "us-east-1"]
    # Every instance type and database class the stacks use is queried, in both deployments.
    assert {"ec2.m7i.xlarge", "ec2.t3.large", "rds.db.m7g.large.multi-az", "rds.db.t4g.medium.single-az"} <= seen[
        "keys"
    ]
    assert P.load_table(out).regions == ["eu-west-1", "us-east-1"]
    assert "1 key(s) not priced" in result.output


def test_prices_show_lists_every_price_with_its_source():
    result = CliRunner().invoke(app, ["prices", "show", "eu-west-1"])
    assert result.exit_code == 0
    assert "nat.hour" in result.stdout and "aws-offer-ec2-eu-west-1-20260925174521" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("us-east-1")]
