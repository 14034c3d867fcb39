"""``POST /v1/batches`` over real HTTP: stewards upload, dry-run and commit; every other caller is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
import schemathesis

from data.credit_code import generate_credit_codes
from data.profiles import Profile, save_profile
from data.quality import quality_rows
from data.warehouse import committed_batches, read_source
from serving.keys import create_key
from tests.integration.test_schemathesis import _nonconforming
from tests.serving.fixtures import empty_warehouse_settings, running_server
from zonecredit.settings import Settings

CODE = "91120116MA05T3K726"
BAD_CODE = "91120116MA05T3K72X"
TAX_HEADER = (
    "统一社会信用代码,所属期,增值税应税销售额,增值税应纳税额,企业所得税预缴额,"
    "按期申报,零申报,欠税余额,欠税天数\n"
)
DEPARTMENT_HEADER = (
    "统一社会信用代码,所属期,增值税销售额,增值税税额,企业所得税预缴,按期申报,零申报,欠税余额,欠税天数\n"
)
HAND_MAPPING = ["增值税销售额=vat_sales", "增值税税额=vat_payable", "企业所得税预缴=cit_prepaid"]


@dataclass(frozen=True)
class Site:
    base: str
    settings: Settings
    keys: dict[str, str]

    def post(self, role: str | None, files: dict, data: dict | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return httpx.post(f"{self.base}/v1/batches", headers=headers, files=files, data=data, timeout=60)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from serving.app import create_app

    settings = empty_warehouse_settings(
        tmp_path_factory,
        "uploads",
        max_body_bytes=64 * 1024,  # uploads have their own, larger limit
        max_upload_bytes=8 * 2**20,
    )
    url = settings.resolved_database_url
    keys = {
        "steward": create_key(url, "steward", name="data office"),
        "analyst": create_key(url, "analyst"),
        "admin": create_key(url, "admin", ["teda"]),
        "scorer": create_key(url, "scorer"),
    }
    with running_server(create_app(settings, watch_champions=False)) as base:
        yield Site(base, settings, keys)


def _tax_csv(rows: list[str], header: str = TAX_HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode("gb18030")


def _rows(months: int, code: str = CODE, start_year: int = 2024) -> list[str]:
    return [f"{code},{start_year + m // 12}-{m % 12 + 1:02d},1000.5,130.07,20,1,0,0,0" for m in range(months)]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("analyst", 403), ("admin", 403), ("scorer", 403)])
def test_only_stewards_may_upload(site: Site, role: str | None, status: int):
    response = site.post(role, {"file": ("tax.csv", _tax_csv(_rows(2)))}, {"source": "tax"})
    assert response.status_code == status, response.text
    assert ("steward" in response.json()["detail"]) == (status == 403)
    assert not (site.settings.home / "uploads").exists() or not any(
        (site.settings.home / "uploads").iterdir()
    )
    assert committed_batches("tax", site.settings.home) == []


def test_a_dry_run_reports_first_rows_and_quarantine_without_committing(site: Site):
    content = _tax_csv([*_rows(3, start_year=2023), f"{BAD_CODE},2023-05,1,1,1,1,0,0,0"])
    response = site.post("steward", {"file": ("binhai.csv", content)}, {"source": "tax", "dry_run": "true"})
    assert response.status_code == 200, response.text
    [batch] = response.json()["batches"]
    assert batch["status"] == "dry_run" and batch["file"] == "binhai.csv"
    assert (batch["rows_in"], batch["rows_loaded"], batch["rows_quarantined"]) == (4, 3, 1)
    assert [row["period"][:7] for row in batch["preview"]] == ["2023-01", "2023-02", "2023-03"]
    assert batch["preview"][0]["vat_sales"] == "1000.5"
    [bad] = batch["quarantine_sample"]
    assert bad["row_number"] == 4 and bad["reason_code"] == "bad_credit_code"
    assert BAD_CODE in json.loads(bad["raw"])["统一社会信用代码"]
    assert "nothing was committed" in batch["message"]
    assert committed_batches("tax", site.settings.home) == []
    assert not any((site.settings.home / "uploads").iterdir()), "the upload is not kept"


def test_a_committed_upload_is_a_batch_with_its_quality_report(site: Site):
    content = _tax_csv([*_rows(6, start_year=2022), f"{BAD_CODE},2022-08,1,1,1,1,0,0,0"])
    response = site.post("steward", {"file": ("tax_2022.csv", content)}, {"source": "tax"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["rows_in"], body["rows_loaded"], body["rows_quarantined"]) == (7, 6, 1)
    [batch] = body["batches"]
    assert batch["status"] == "loaded" and batch["reasons"] == {"bad_credit_code": 1}
    assert batch["quality"]["load_rate"] == pytest.approx(6 / 7, abs=1e-6)
    [row] = [r for r in quality_rows(site.settings.home, "tax") if r["batch_id"] == batch["batch_id"]]
    assert row["rows_loaded"] == 6
    again = site.post("steward", {"file": ("copy.csv", content)}, {"source": "tax"})
    assert again.status_code == 200 and again.json()["batches"][0]["status"] == "already_loaded"


def test_an_upload_may_be_larger_than_other_request_bodies(site: Site):
    codes = generate_credit_codes(100, np.random.default_rng(5))
    rows = [r for code in codes for r in _rows(24, code=code, start_year=2018)]
    content = _tax_csv(rows)
    assert len(content) > site.settings.max_body_bytes
    response = site.post("steward", {"file": ("many.csv", content)}, {"source": "tax", "dry_run": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["batches"][0]["rows_loaded"] == 2400
    refused = site.post("steward", {"file": ("huge.csv", b"x" * (9 * 2**20))}, {"source": "tax"})
    assert refused.status_code == 413 and "exceeds" in refused.json()["detail"]


def test_unmatched_headers_are_refused_with_suggestions_then_mapped_by_hand(site: Site):
    content = _tax_csv(_rows(2, start_year=2021), header=DEPARTMENT_HEADER)
    refused = site.post("steward", {"file": ("binhai_tax.csv", content)}, {"source": "tax"})
    assert refused.status_code == 422
    body = refused.json()
    assert "missing required column" in body["detail"]
    assert body["batches"][0]["suggestions"]["增值税销售额"] == "vat_sales"
    mapped = site.post(
        "steward",
        {"file": ("binhai_tax.csv", content)},
        {"source": "tax", "column": HAND_MAPPING},
    )
    assert mapped.status_code == 201, mapped.text
    assert mapped.json()["batches"][0]["columns"]["增值税销售额"] == "vat_sales"


def test_a_saved_profile_maps_the_headers(site: Site):
    save_profile(
        site.settings.home,
        Profile(name="binhai-tax", source="tax", columns=dict(c.split("=") for c in HAND_MAPPING)),
    )
    content = _tax_csv(_rows(2, start_year=2020), header=DEPARTMENT_HEADER)
    response = site.post("steward", {"file": ("p.csv", content)}, {"source": "tax", "profile": "binhai-tax"})
    assert response.status_code == 201, response.text
    loaded = read_source("tax", site.settings.home)
    assert (loaded["period"].dt.year == 2020).sum() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "weather"}, "source must be one of"),
        ({"source": "tax", "column": "no-equals-sign"}, "HEADER=column"),
        ({"source": "tax", "profile": "nobody"}, "no profile 'nobody'"),
        ({"source": "tax", "dry_run": "perhaps"}, "dry_run must be true or false"),
        ({"source": "tax", "received_on": "yesterday"}, "received_on must be a date"),
    ],
)
def test_bad_fields_are_422_with_the_reason(site: Site, data: dict, message: str):
    response = site.post("steward", {"file": ("t.csv", _tax_csv(_rows(1)))}, data)
    assert response.status_code == 422 and message in response.json()["detail"], response.text


def test_a_missing_file_is_422(site: Site):
    response = httpx.post(
        f"{site.base}/v1/batches",
        headers={"Authorization": f"Bearer {site.keys['steward']}"},
        data={"source": "tax"},
        files={"other": ("x.csv", b"a")},
    )
    assert response.status_code == 422 and "field named 'file'" in response.json()["detail"]


def test_a_stewards_dry_run_masks_personal_data(site: Site):
    header = (
        "统一社会信用代码,企业名称,所属园区,行业代码,主体类型,注册资本,成立日期,登记状态,状态变更日期,"
        "法定代表人证件号码\n"
    )
    rows = [
        f"{CODE},某科技有限公司,teda,I65,1,500,2019-03-15,active,2019-03-15,120101198001011234",
        f"{CODE},某科技有限公司,mars,I65,1,500,2019-03-15,active,2020-01-01,120101198001011234",
    ]
    content = (header + "\n".join(rows) + "\n").encode("utf-8")
    response = site.post(
        "steward", {"file": ("registry.csv", content)}, {"source": "registry", "dry_run": "yes"}
    )
    assert response.status_code == 200, response.text
    text = response.text
    assert "120101198001011234" not in text
    batch = response.json()["batches"][0]
    assert batch["preview"][0]["legal_rep_id"] == "120101********1234"
    assert json.loads(batch["quarantine_sample"][0]["raw"])["法定代表人证件号码"] == "120101********1234"


def test_generated_uploads_are_answered_as_the_schema_says(site: Site):
    schema = schemathesis.openapi.from_url(f"{site.base}/openapi.json")
    [upload] = [op.ok() for op in schema.get_all_operations() if op.ok().path == "/v1/batches"]
    assert not _nonconforming(upload, site.base, site.keys["steward"])
