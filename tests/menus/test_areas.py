"""menus/areas.yaml is generated: it must equal a fresh run of build_areas on the gazetteer."""
from pathlib import Path

import pytest

from menus import build_areas

GAZETTEER = Path("/work/shared/data/mali_gazetteer.csv")


@pytest.mark.skipif(not GAZETTEER.exists(), reason="shared gazetteer not on this machine")
def test_committed_areas_equal_a_fresh_build():
    fresh = build_areas.render_areas_yaml(build_areas.read_areas(GAZETTEER))
    assert build_areas.DEFAULT_OUT.read_text(encoding="utf-8") == fresh, "run: python -m menus.build_areas --gazetteer ..."


def test_areas_cover_mali_in_the_2015_scheme(menu):
    regions = {r.pcode: r for r in menu.regions}
    assert sorted(regions) == [f"ML0{n}" for n in range(1, 10)]       # 8 regions + Bamako district
    assert [c.value for c in regions["ML09"].cercles] == ["ML0901"]
    assert "ML0704" in [c.value for c in regions["ML07"].cercles]     # Menaka, still a Gao cercle in 2015
    assert sum(len(r.cercles) for r in regions.values()) == 50
    assert all(r.name.isascii() and all(c.label.isascii() for c in r.cercles) for r in regions.values())


def test_build_areas_cli_writes_the_file(tmp_path):
    csv = tmp_path / "g.csv"
    csv.write_text(
        "level,name,name_ascii,parent_pcode,pcode\n"
        "region,Ségou,Segou,ML,ML04\n"
        "region,Ménaka,Menaka,ML,\n"
        "cercle,Ségou,,ML04,ML0402\n"
        "cercle,Baraouéli,Baraoueli,ML04,ML0401\n", encoding="utf-8")
    out = tmp_path / "areas.yaml"
    assert build_areas.main(["--gazetteer", str(csv), "--out", str(out)]) == 0
    body = out.read_text(encoding="utf-8").split("regions:\n", 1)[1]
    assert body == ('  - pcode: ML04\n    name: "Segou"\n    cercles:\n'
                    '      - {pcode: ML0401, name: "Baraoueli"}\n      - {pcode: ML0402, name: "Segou"}\n')
