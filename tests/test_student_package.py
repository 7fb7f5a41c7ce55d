"""What students install holds the published modules only — an unpublished solution is nowhere in it."""
import subprocess
import sys

from classroom import student_package


def test_student_package_holds_only_published_modules(tmp_path):
    files = student_package.build(["01_tensor", "02_activations"], tmp_path)
    assert files == ["__init__.py", "activations.py", "tensor.py", "testing.py"]
    text = "\n".join(p.read_text() for p in (tmp_path / "tinytorch").glob("*.py"))
    assert "GRAD_RULES" not in text and "def topological_order" not in text, "module 05's solution leaked"
    code = "import tinytorch; print(tinytorch.ReLU()(tinytorch.Tensor([-1.0, 2.0])).data.tolist())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[0.0, 2.0]"


def test_student_package_is_pip_installable(tmp_path):
    student_package.build(["01_tensor"], tmp_path / "pkg")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(tmp_path / "pkg")], check=True)
    assert (target / "tinytorch" / "tensor.py").is_file() and not (target / "tinytorch" / "autograd.py").exists()
