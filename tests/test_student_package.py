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


def test_nothing_is_published_by_default():
    """Publishing is an explicit act per module: the shipped configuration hands out no solution."""
    from classroom.config import Classroom
    from classroom.nbgrader_api import load_config
    published = Classroom(config=load_config()).published
    assert published == []
    assert student_package.published_before("05_autograd", published) == []
    assert student_package.published_before(None, published) == []


def test_student_distribution_of_a_module(tmp_path):
    """What students get for module M: its release notebook and a tinytorch of the modules published before M
    (never M, never an unpublished one), installable, with nbgrader for `nbgrader validate`."""
    import tarfile
    published = ["01_tensor", "02_activations", "03_layers", "05_autograd"]  # 04 still open
    from classroom.nbgrader_api import load_config
    path = student_package.distribution("05_autograd", published, tmp_path, config=load_config())
    with tarfile.open(path) as archive:
        names = set(archive.getnames())
        archive.extractall(tmp_path / "x", filter="data")
    top = tmp_path / "x" / "05_autograd"
    assert "05_autograd/05_autograd/05_autograd.ipynb" in names and "05_autograd/README.md" in names
    assert sorted(p.name for p in (top / "tinytorch" / "tinytorch").glob("*.py")) == [
        "__init__.py", "activations.py", "layers.py", "tensor.py", "testing.py"]
    assert "nbgrader==" in (top / "tinytorch" / "pyproject.toml").read_text()
    notebook = (top / "05_autograd" / "05_autograd.ipynb").read_text()
    assert "How this notebook is graded" in notebook and "BEGIN SOLUTION" not in notebook
    assert "nbgrader validate 05_autograd/05_autograd.ipynb" in (top / "README.md").read_text()
    config = (top / "nbgrader_config.py").read_text()  # the student side of the exchange
    assert "c.CourseDirectory.course_id = 'tinytorch'" in config and "c.Exchange.root = " in config
