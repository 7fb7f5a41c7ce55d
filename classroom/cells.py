"""What a cell is, by its nbgrader metadata."""


def is_test_cell(cell):
    """An autograded test cell: a code cell that is graded and is not a solution."""
    info = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(info.get("grade")) and not info.get("solution")
