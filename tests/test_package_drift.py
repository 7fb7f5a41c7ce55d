"""tinytorch/ is generated from the source notebooks; the committed copy must match a fresh export."""
from classroom import course, export


def test_committed_package_matches_a_fresh_export():
    fresh = export.build_package()
    committed = {p.name: p.read_text() for p in course.PACKAGE.glob("*.py")}
    assert sorted(committed) == sorted(fresh), "tinytorch/ has missing or extra files: run `make package`"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"tinytorch/{stale} differ from the source notebooks: run `make package`"


def test_every_module_exports_to_its_own_file():
    for module_id in course.modules():
        assert (course.PACKAGE / f"{course.package_name(module_id)}.py").is_file(), module_id


def test_package_imports_and_reexports_public_names():
    import tinytorch
    for name in ["Tensor", "backward", "no_grad"]:
        assert hasattr(tinytorch, name), name
