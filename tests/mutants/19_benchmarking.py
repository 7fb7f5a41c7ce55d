"""Plausible wrong implementations of 19_benchmarking; `make check` proves the tests catch each one.

The seed project's bugs are here by name: random noise added to an accuracy, accuracy scored against random (or
shuffled) labels, and a bonus for a model's name. Also the brief's list: the mean instead of the median, a confidence
interval from a normal approximation or one that ignores its confidence or seed, warm-up calls timed, a comparison not
interleaved (each contender timed in its own block, visible in the call log), the speedup inverted, a Pareto front that
treats latency as higher-is-better or drops ties, and the last partial batch dropped. And: resampling without
replacement, a statistic ignored, a model name read with its key or cut at the last colon, usable cores taken from
os.cpu_count(), thread variables that are unset left out, a model left in training mode or not given its mode back.
"""
MUTANTS = [
    # ---- 1. bootstrap_ci
    dict(name="ci_normal_approximation", cell="bootstrap_ci",
         find="    stats = statistic(samples[idx], axis=1)\n"
              "    low, high = np.percentile(stats, [50 * (1 - confidence), 50 * (1 + confidence)])\n",
         replace="    center, se = float(statistic(samples)), float(np.std(samples) / np.sqrt(n))\n"
                 "    low, high = center - 1.96 * se, center + 1.96 * se\n",
         caught_by=["test_bootstrap_ci", "test_benchmark_run"]),
    dict(name="resampled_without_replacement", cell="bootstrap_ci",
         find="\n    idx = rng.integers(0, n, size=(n_resamples, n))", replace="\n    idx = np.argsort(rng.random((n_resamples, n)), axis=1)",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: a confidence other than 0.95
    dict(name="ci_ignores_confidence", cell="bootstrap_ci",
         find="\n    low, high = np.percentile(stats, [50 * (1 - confidence), 50 * (1 + confidence)])",
         replace="\n    low, high = np.percentile(stats, [2.5, 97.5])",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: other seeds
    dict(name="ci_ignores_seed", cell="bootstrap_ci",
         find="\n    rng = np.random.default_rng(seed)", replace="\n    rng = np.random.default_rng(0)",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: statistic=np.mean
    dict(name="ci_statistic_ignored", cell="bootstrap_ci",
         find="\n    stats = statistic(samples[idx], axis=1)", replace="\n    stats = np.median(samples[idx], axis=1)",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: confidence 1.0 and 0.0
    dict(name="confidence_bounds_inclusive", cell="bootstrap_ci",
         find="if not 0 < confidence < 1:", replace="if not 0 <= confidence <= 1:",
         caught_by=["test_bootstrap_ci"]),

    # ---- 2. Benchmark.summarize / run
    dict(name="mean_not_median", cell="benchmark",
         find="BenchmarkResult(name, times, float(np.median(times)),", replace="BenchmarkResult(name, times, float(np.mean(times)),",
         caught_by=["test_benchmark_run", "test_benchmark_compare"]),
    dict(name="warmup_timed", cell="benchmark",
         find="stats = measure_latency(fn, warmup=self.warmup, repeats=self.repeats, clock=self.clock)",
         replace="stats = measure_latency(fn, warmup=0, repeats=self.warmup + self.repeats, clock=self.clock)",
         caught_by=["test_benchmark_run"]),
    # only the hidden checks see it: a protocol with confidence 0.8, seed 3, 300 resamples
    dict(name="summary_ci_at_default_confidence", cell="benchmark",
         find="low, high = bootstrap_ci(times, np.median, self.confidence, self.n_resamples, self.seed)",
         replace="low, high = bootstrap_ci(times, np.median, 0.95, self.n_resamples, self.seed)",
         caught_by=["test_benchmark_run"]),
    dict(name="summary_ci_seed_ignored", cell="benchmark",
         find="low, high = bootstrap_ci(times, np.median, self.confidence, self.n_resamples, self.seed)",
         replace="low, high = bootstrap_ci(times, np.median, self.confidence, self.n_resamples)",
         caught_by=["test_benchmark_run"]),

    # ---- 2. Benchmark.compare
    # each contender timed in its own block: a slow-down of the machine lands on one of them
    dict(name="compare_not_interleaved", cell="benchmark",
         find="        for _ in range(self.repeats):\n            for name in names:\n",
         replace="        for name in names:\n            for _ in range(self.repeats):\n",
         caught_by=["test_benchmark_compare"]),
    dict(name="compare_warmup_timed", cell="benchmark",
         find="        for _ in range(self.warmup):\n            for name in names:\n                fns[name]()\n"
              "        times = {name: [] for name in names}\n        for _ in range(self.repeats):\n",
         replace="        times = {name: [] for name in names}\n        for _ in range(self.warmup + self.repeats):\n",
         caught_by=["test_benchmark_compare"]),
    dict(name="speedup_inverted", cell="benchmark",
         find="speedup = {name: base / results[name].median if", replace="speedup = {name: results[name].median / base if",
         caught_by=["test_benchmark_compare"]),
    # only the hidden checks see it: two warm-up rounds
    dict(name="compare_one_warmup_round", cell="benchmark",
         find="        for _ in range(self.warmup):\n            for name in names:\n                fns[name]()\n",
         replace="        for name in names:\n            fns[name]()\n",
         caught_by=["test_benchmark_compare"]),

    # ---- 3. environment
    dict(name="model_name_key_kept", cell="environment",
         find="cpu = value.strip()", replace="cpu = line.strip()",
         caught_by=["test_environment"]),
    dict(name="unset_thread_variables_left_out", cell="environment",
         find="threads = {name: environ.get(name) for name in THREAD_VARIABLES}",
         replace="threads = {name: environ[name] for name in THREAD_VARIABLES if name in environ}",
         caught_by=["test_environment"]),
    # only the hidden checks see it: a model name with a colon in it
    dict(name="model_name_after_last_colon", cell="environment",
         find="cpu = value.strip()", replace="cpu = line.split(\":\")[-1].strip()",
         caught_by=["test_environment"]),
    # only the hidden checks see it: the process pinned to one CPU
    dict(name="usable_cores_from_cpu_count", cell="environment",
         find="usable = len(os.sched_getaffinity(0)) if hasattr(os, \"sched_getaffinity\") else logical", replace="usable = logical",
         caught_by=["test_environment"]),
    # only the hidden checks see it: a cpuinfo without a model name line
    dict(name="no_processor_fallback", cell="environment",
         find="cpu = cpu or platform.processor() or platform.machine()", replace="cpu = cpu or \"unknown\"",
         caught_by=["test_environment"]),
    # only the hidden checks see it: environ=None
    dict(name="environ_default_empty", cell="environment",
         find="environ = os.environ if environ is None else environ", replace="environ = {} if environ is None else environ",
         caught_by=["test_environment"]),

    # ---- 4. pareto_front
    dict(name="latency_higher_is_better", cell="pareto_front",
         find="[-float(row[m]) for m in minimize]", replace="[float(row[m]) for m in minimize]",
         caught_by=["test_pareto_front"]),
    dict(name="dominance_strict_everywhere", cell="pareto_front",
         find="dominated = any(np.all(scores[j] >= scores[i]) and np.any(scores[j] > scores[i])",
         replace="dominated = any(np.all(scores[j] > scores[i])",
         caught_by=["test_pareto_front"]),
    # two points that tie in every metric drop each other
    dict(name="ties_dropped", cell="pareto_front",
         find="dominated = any(np.all(scores[j] >= scores[i]) and np.any(scores[j] > scores[i])",
         replace="dominated = any(np.all(scores[j] >= scores[i])",
         caught_by=["test_pareto_front"]),
    # only the hidden checks see it: metrics other than accuracy
    dict(name="accuracy_always_maximized", cell="pareto_front",
         find="[float(row[m]) for m in maximize]", replace="[float(row.get(\"accuracy\", 0.0))]",
         caught_by=["test_pareto_front"]),

    # ---- 5. benchmark_model
    # the seed project's bugs
    dict(name="accuracy_noise", cell="benchmark_model",
         find="    accuracy = correct / n\n", replace="    accuracy = correct / n + float(np.random.default_rng().normal(0.0, 0.01))\n",
         caught_by=["test_benchmark_model"]),
    dict(name="random_labels", cell="benchmark_model",
         find="predicted == labels[start:start + batch_size]",
         replace="predicted == np.random.default_rng(0).integers(0, int(labels.max()) + 1, size=len(predicted))",
         caught_by=["test_benchmark_model"]),
    # only the hidden checks see it: names that sound optimized
    dict(name="name_bonus", cell="benchmark_model",
         find="    accuracy = correct / n\n",
         replace="    accuracy = min(1.0, correct / n + 0.05 * any(w in label.lower() for w in (\"int8\", \"quant\", \"prun\", \"optim\")))\n",
         caught_by=["test_benchmark_model"]),
    # a seeded shuffle of the labels is still the wrong labels
    dict(name="shuffled_labels", cell="benchmark_model",
         find="predicted == labels[start:start + batch_size]",
         replace="predicted == np.random.default_rng(seed).permutation(labels)[start:start + batch_size]",
         caught_by=["test_benchmark_model"]),
    dict(name="partial_batch_dropped", cell="benchmark_model",
         find="for start in range(0, n, batch_size):", replace="for start in range(0, n - n % batch_size, batch_size):",
         caught_by=["test_benchmark_model"]),
    # only the hidden checks see it: a Dropout model in training mode
    dict(name="not_eval_mode", cell="benchmark_model",
         find="    if hasattr(model, \"eval\"):\n        model.eval()\n", replace="",
         caught_by=["test_benchmark_model"]),
    dict(name="mode_not_restored", cell="benchmark_model",
         find="model.train(was_training)", replace="model.eval()",
         caught_by=["test_benchmark_model"]),

    # ---- added by the review of 19_benchmarking (each closes a hole a student variant scored full marks through)
    # only the hidden checks see it: a 2-D sample (indexes rows, IndexError instead of ValueError)
    dict(name="two_d_sample_accepted", cell="bootstrap_ci",
         find="if samples.ndim != 1 or samples.size == 0:", replace="if samples.size == 0:",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: n_resamples = 0
    dict(name="n_resamples_unchecked", cell="bootstrap_ci",
         find="    if n_resamples < 1:\n", replace="    if False:\n",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: np.percentile's NumPy scalars handed back as they are
    dict(name="ci_numpy_scalars", cell="bootstrap_ci",
         find="return float(low), float(high)", replace="return low, high",
         caught_by=["test_bootstrap_ci"]),
    # only the hidden checks see it: a real x86 cpuinfo has a "model : 154" line before "model name"
    dict(name="model_key_prefix", cell="environment",
         find='if sep and key.strip() == "model name":', replace='if sep and key.strip().startswith("model"):',
         caught_by=["test_environment"]),
    # only the hidden checks see it: a hybrid CPU lists two model names; the first counts
    dict(name="last_model_name", cell="environment",
         find="                    cpu = value.strip()\n                    break\n", replace="                    cpu = value.strip()\n",
         caught_by=["test_environment"]),
    # only the hidden checks see it: names given in an order that is not alphabetical
    dict(name="front_sorted_by_name", cell="pareto_front",
         find="    return front\n", replace="    return sorted(front)\n",
         caught_by=["test_pareto_front"]),
    # only the hidden checks see it: an accuracy keyed on the visible test's 10 samples (the old permuted labels also scored 7 of 10)
    dict(name="accuracy_keyed_on_n", cell="benchmark_model",
         find="    accuracy = correct / n\n", replace="    accuracy = 0.7 if n == 10 else correct / n\n",
         caught_by=["test_benchmark_model"]),
    # only the hidden checks see it: a model that was in eval mode
    dict(name="mode_forced_to_train", cell="benchmark_model",
         find="model.train(was_training)", replace="model.train(True)",
         caught_by=["test_benchmark_model"]),
    # only the hidden checks see it: a forward that raises
    dict(name="mode_not_restored_on_error", cell="benchmark_model",
         find="    finally:\n        if hasattr(model, \"train\"):\n            model.train(was_training)\n",
         replace="    except BaseException:\n        raise\n    if hasattr(model, \"train\"):\n        model.train(was_training)\n",
         caught_by=["test_benchmark_model"]),
    # only the hidden checks see it: warm-up rounds timed and their times dropped (the summary is right, the clock is read)
    dict(name="compare_warmup_timed_then_dropped", cell="benchmark",
         find="        for _ in range(self.warmup):\n            for name in names:\n                fns[name]()\n"
              "        times = {name: [] for name in names}\n        for _ in range(self.repeats):\n            for name in names:\n"
              "                times[name].append(measure_latency(fns[name], warmup=0, repeats=1, clock=self.clock)[\"times\"][0])\n"
              "        results = {name: self.summarize(name, times[name]) for name in names}\n",
         replace="        times = {name: [] for name in names}\n        for _ in range(self.warmup + self.repeats):\n            for name in names:\n"
                 "                times[name].append(measure_latency(fns[name], warmup=0, repeats=1, clock=self.clock)[\"times\"][0])\n"
                 "        results = {name: self.summarize(name, times[name][self.warmup:]) for name in names}\n",
         caught_by=["test_benchmark_compare"]),
]
