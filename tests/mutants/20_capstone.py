"""Plausible wrong implementations of 20_capstone; `make check` proves the tests catch each one.

The issue's list for the model format: a convolution's stride dropped, BatchNorm's running statistics not kept,
int8 saved as float, the quantization axis lost, a bias dropped, and a loader that unpickles (allow_pickle=True,
caught by a file whose object array would run code). Also: arrays not checked against the architecture (shape,
dtype, presence), padding dropped; evaluate timing its warm-up calls, inverting the speed-up or the bytes ratio,
ignoring reps or batch_sizes, reporting the baseline's accuracy as the model's; score with strict thresholds, no
half credit, accuracy points for an untouched baseline, the accuracy drop's sign flipped.
Added by the review as a hostile student: files whose int8 weights are stored as float32 by save_model and converted
back by load_model (the round trip is exact, only the file shows it), BatchNorm's eps and a pool's stride not kept,
a loader that converts a float32 array declared int8; evaluate timing one model after the other (not in turns), the
model before the baseline, a batch that does not repeat the images; score with bytes and speed counted for a model
that no longer classifies digits (a zero model earned 6 of 8), and an absolute accuracy drop.

test_capstone_submission is scored by the grader from the files a student hands in (classroom/capstone.py), not in
the kernel: the gate skips it (classroom/preprocessors/score_capstone.py, graded_outside), and
tests/test_capstone_grading.py grades it.
"""
MUTANTS = [
    # ---- 1. save_model / load_model
    dict(name="bias_dropped", cell="save_model",
         find="            if layer.bias is not None:\n                held[\"bias\"] = _values(layer.bias)",
         replace="            spec[\"bias\"] = False",
         caught_by=["test_save_load"]),
    dict(name="int8_saved_as_float", cell="save_model",
         find="held[\"weight\"] = layer.weight.data\n            held[\"weight_scale\"]",
         replace="held[\"weight\"] = layer.weight.data.astype(np.float32)\n            held[\"weight_scale\"]",
         caught_by=["test_save_load"]),
    # the loader's side of int8 saved as float: it converts whatever it finds
    dict(name="dtype_not_checked", cell="load_model",
         find="if value.dtype != np.dtype(dtype) or list(value.shape) != shape:",
         replace="value = value.astype(dtype)\n                if list(value.shape) != shape:",
         caught_by=["test_load_rejects"]),
    dict(name="shape_not_checked", cell="load_model",
         find="if value.dtype != np.dtype(dtype) or list(value.shape) != shape:",
         replace="if value.dtype != np.dtype(dtype):",
         caught_by=["test_load_rejects"]),
    # only the hidden checks see it: convolutions
    dict(name="stride_dropped", cell="load_model",
         find="return conv2d_from(a[\"weight\"], a.get(\"bias\"), stride=tuple(spec[\"stride\"]), padding=tuple(spec[\"padding\"]))",
         replace="return conv2d_from(a[\"weight\"], a.get(\"bias\"), padding=tuple(spec[\"padding\"]))",
         caught_by=["test_save_load"]),
    dict(name="padding_dropped", cell="load_model",
         find="return conv2d_from(a[\"weight\"], a.get(\"bias\"), stride=tuple(spec[\"stride\"]), padding=tuple(spec[\"padding\"]))",
         replace="return conv2d_from(a[\"weight\"], a.get(\"bias\"), stride=tuple(spec[\"stride\"]))",
         caught_by=["test_save_load"]),
    # only the hidden checks see it: a model with BatchNorm
    dict(name="bn_running_stats_not_kept", cell="load_model",
         find="        bn.running_mean.data, bn.running_var.data = a[\"running_mean\"], a[\"running_var\"]\n",
         replace="",
         caught_by=["test_save_load"]),
    # the save side of the same: the statistics never reach the file (save_model's own check refuses it)
    dict(name="bn_running_stats_not_saved", cell="save_model",
         find='for name in ("weight", "bias", "running_mean", "running_var"):', replace='for name in ("weight", "bias"):',
         caught_by=["test_save_load"]),
    # the per-channel scales written as if per tensor
    dict(name="quantization_axis_not_saved", cell="save_model",
         find='spec["axis"] = layer.weight.axis', replace='spec["axis"] = None',
         caught_by=["test_save_load"]),
    # only the hidden checks see it: the per-tensor / per-channel check reads the axis back
    dict(name="quantization_axis_lost", cell="load_model",
         find="weight = QuantizedTensor(a[\"weight\"], a[\"weight_scale\"], a[\"weight_zero_point\"], spec[\"axis\"])",
         replace="weight = QuantizedTensor(a[\"weight\"], a[\"weight_scale\"], a[\"weight_zero_point\"])",
         caught_by=["test_save_load"]),
    # only the hidden checks see it: a file whose object array runs code when unpickled
    dict(name="allow_pickle_true", cell="load_model",
         find="np.load(f\"{path}.npz\", allow_pickle=False)", replace="np.load(f\"{path}.npz\", allow_pickle=True)",
         caught_by=["test_load_rejects"]),
    # only the hidden checks see it: a missing array (KeyError, not ValueError naming the layer)
    dict(name="missing_array_not_checked", cell="load_model",
         find="                if key not in stored:\n", replace="                if False:\n",
         caught_by=["test_load_rejects"]),

    dict(name="int8_stored_as_float_both_sides", cell="load_model",
         find='    return Flatten(spec["start_dim"], spec["end_dim"])',
         replace='''    return Flatten(spec["start_dim"], spec["end_dim"])


_save_honest, _load_honest = save_model, load_model


def save_model(model, path):
    out = _save_honest(model, path)
    with np.load(f"{path}.npz") as f:
        arrays = {k: f[k].astype(np.float32) if f[k].dtype == np.int8 else f[k] for k in f.files}
    np.savez(f"{path}.npz", **arrays)
    return out


def load_model(path):
    doc = json.loads(Path(f"{path}.json").read_text())
    with np.load(f"{path}.npz") as f:
        arrays = {k: f[k] for k in f.files}
    for i, spec in enumerate(doc.get("layers", [])):
        for name, a in spec.get("arrays", {}).items():
            if a.get("dtype") == "int8" and f"{i}.{name}" in arrays:
                arrays[f"{i}.{name}"] = arrays[f"{i}.{name}"].astype(np.int8)
    Path(f"{path}-fixed.json").write_text(json.dumps(doc))
    np.savez(f"{path}-fixed.npz", **arrays)
    return _load_honest(f"{path}-fixed")
''',
         caught_by=["test_save_load", "test_load_rejects"]),
    # only the hidden checks see it: layers.Flatten (the row flatten of the MLP milestones) forgotten
    dict(name="row_flatten_not_saved", cell="save_model",
         find='        elif isinstance(layer, _RowFlatten):\n            spec = {"type": "Flatten", "start_dim": 1, "end_dim": -1}\n',
         replace="",
         caught_by=["test_save_load"]),
    dict(name="row_flatten_flattens_the_batch", cell="save_model",
         find='spec = {"type": "Flatten", "start_dim": 1, "end_dim": -1}', replace='spec = {"type": "Flatten", "start_dim": 0, "end_dim": -1}',
         caught_by=["test_save_load"]),
    # only the hidden checks see it: BatchNorm2d(6, eps=1e-2) and MaxPool2d(2, 1)
    dict(name="bn_eps_not_kept", cell="load_model",
         find='bn = BatchNorm2d(spec["num_features"], eps=spec["eps"], momentum=spec["momentum"])',
         replace='bn = BatchNorm2d(spec["num_features"])',
         caught_by=["test_save_load"]),
    dict(name="pool_stride_lost", cell="load_model",
         find='(_pool(spec["kernel_size"]), _pool(spec["stride"]))', replace='(_pool(spec["kernel_size"]))',
         caught_by=["test_save_load"]),
    # only the hidden checks see it: the seed's cheat read back, an int8 weight stored as float32 converted
    dict(name="int8_from_float_accepted", cell="load_model",
         find="                value = npz[key]\n",
         replace="                value = npz[key]\n                value = value.astype(np.int8) if dtype == \"int8\" else value\n",
         caught_by=["test_load_rejects"]),

    # ---- 2. evaluate
    dict(name="warmup_timed", cell="evaluate",
         find="            for _ in range(warmup):\n                for m in contenders.values():\n                    m(x)\n            times = {name: [] for name in contenders}\n            for _ in range(reps):",
         replace="            times = {name: [] for name in contenders}\n            for _ in range(warmup + reps):",
         caught_by=["test_evaluate"]),
    dict(name="speedup_inverted", cell="evaluate",
         find="measured[f\"speedup_batch{b}\"] = base / mine", replace="measured[f\"speedup_batch{b}\"] = mine / base",
         caught_by=["test_evaluate"]),
    dict(name="bytes_ratio_inverted", cell="evaluate",
         find="measured[\"bytes_ratio\"] = measured[\"model_bytes\"] / measured[\"baseline_bytes\"]",
         replace="measured[\"bytes_ratio\"] = measured[\"baseline_bytes\"] / measured[\"model_bytes\"]",
         caught_by=["test_evaluate"]),
    dict(name="accuracy_of_baseline", cell="evaluate",
         find="\"accuracy\": float(np.mean(predict(model, images) == labels)),",
         replace="\"accuracy\": float(np.mean(predict(baseline, images) == labels)),",
         caught_by=["test_evaluate"]),
    # only the hidden checks see it: another number of reps
    dict(name="reps_ignored", cell="evaluate",
         find="            for _ in range(reps):", replace="            for _ in range(5):",
         caught_by=["test_evaluate"]),
    # only the hidden checks see it: other batch sizes, fewer images than the batch
    dict(name="batch_sizes_fixed", cell="evaluate",
         find="        for b in batch_sizes:\n            x = Tensor(images[np.arange(b) % len(images)])",
         replace="        for b in (1, 256):\n            x = Tensor(images[np.arange(b) % len(images)])",
         caught_by=["test_evaluate"]),

    # only the hidden checks see these: a machine that slows down as it runs
    dict(name="timed_one_model_after_the_other", cell="evaluate",
         find="            for _ in range(reps):\n                for name, m in contenders.items():\n",
         replace="            for name, m in contenders.items():\n                for _ in range(reps):\n",
         caught_by=["test_evaluate"]),
    dict(name="model_timed_before_baseline", cell="evaluate",
         find='contenders = {"baseline": baseline, "model": model}', replace='contenders = {"model": model, "baseline": baseline}',
         caught_by=["test_evaluate"]),
    # only the hidden checks see it: 3 images at batch 5 (the batch must hold 5 rows)
    dict(name="batch_not_repeated", cell="evaluate",
         find="x = Tensor(images[np.arange(b) % len(images)])", replace="x = Tensor(images[:b])",
         caught_by=["test_evaluate"]),

    # ---- 3. score
    dict(name="no_half_credit", cell="score",
         find="return POINTS_PER_CRITERION if meets(full) else POINTS_PER_CRITERION / 2 if meets(partial) else 0",
         replace="return POINTS_PER_CRITERION if meets(full) else 0",
         caught_by=["test_score"]),
    dict(name="drop_sign_flipped", cell="score",
         find="drop = baseline_accuracy - measured[\"accuracy\"]", replace="drop = measured[\"accuracy\"] - baseline_accuracy",
         caught_by=["test_score"]),
    # only the hidden checks see it: values exactly at a threshold
    dict(name="strict_thresholds", cell="score",
         find="meets = (lambda t: value >= t - 1e-9) if higher_is_better else (lambda t: value <= t + 1e-9)",
         replace="meets = (lambda t: value > t) if higher_is_better else (lambda t: value < t)",
         caught_by=["test_score"]),
    # only the hidden checks see it: the untouched baseline
    dict(name="accuracy_always_counted", cell="score",
         find="earned = sum(points.values()) > 0", replace="earned = True",
         caught_by=["test_score"]),
    # a zero model (10% accuracy, tiny, fast) earned 6 of 8 under the first rule
    dict(name="speed_counted_without_accuracy", cell="score",
         find="    if not accurate:\n        points = dict.fromkeys(points, 0)\n", replace="",
         caught_by=["test_score"]),
    # only the hidden checks see it: a model more accurate than the baseline
    dict(name="accuracy_drop_absolute", cell="score",
         find='drop = baseline_accuracy - measured["accuracy"]', replace='drop = abs(baseline_accuracy - measured["accuracy"])',
         caught_by=["test_score"]),
]
