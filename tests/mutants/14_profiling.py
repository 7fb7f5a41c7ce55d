"""Plausible wrong implementations of 14_profiling; `make check` proves the tests catch each one.

The seed project's bugs are here by name: FLOP counts that ignore the batch size, and bytes computed as element
count × 8 (float32 taken for 8 bytes). Also, from the brief: a matmul counted as M·K·N (no ×2), a convolution's FLOPs
without the kernel area or without the input channels, tied parameters counted twice, frozen (requires_grad=False)
tensors counted, gradient bytes of parameters that have no gradient, latency that times the warm-up runs or
returns the mean instead of the median. And: a batched matmul counted as one product, a reduction counted per output,
a conv bias left out, a model left in eval mode, activations counted once per view (a reshape's output counted again),
a median that does not interpolate, forward times measured from the start instead of from the previous event,
backward times read from the clock instead of OpEvent.seconds, and a profiler hook left registered (after fn returns, or after a forward that raised), and a peak that is
the activations instead of tracemalloc's measurement. For the fused ops of modules 08, 12 and 13: a normalization
counted without its affine weight, batch_norm in eval counted as in training, softmax counted as one elementwise op,
and softmax counted per input element (a masked softmax broadcasts).
"""
MUTANTS = [
    # ---- 1. count_parameters
    dict(name="tied_counted_twice", cell="count_parameters",
         find="item.requires_grad and id(item) not in seen", replace="item.requires_grad",
         caught_by=["test_count_parameters"]),
    # only the hidden checks see it: a frozen weight and BatchNorm's running statistics
    dict(name="frozen_counted", cell="count_parameters",
         find="isinstance(item, Tensor) and item.requires_grad and", replace="isinstance(item, Tensor) and",
         caught_by=["test_count_parameters"]),
    dict(name="bytes_not_values", cell="count_parameters",
         find="n += int(item.size)", replace="n += int(item.data.nbytes)",
         caught_by=["test_count_parameters"]),

    # ---- 2. op_flops
    dict(name="matmul_without_factor_2", cell="op_flops",
         find="return 2 * int(output.size) * int(a.shape[-1])", replace="return int(output.size) * int(a.shape[-1])",
         caught_by=["test_op_flops", "test_count_flops"]),
    # only the hidden checks see it: a batched (3-D) matmul
    dict(name="batched_matmul_counted_once", cell="op_flops",
         find="return 2 * int(output.size) * int(a.shape[-1])",
         replace="return 2 * int(output.shape[-2] if output.ndim > 1 else 1) * int(output.shape[-1] if output.ndim else 1) * int(a.shape[-1])",
         caught_by=["test_op_flops"]),
    # only the hidden checks see it: K read from the second operand's first axis ((K, N) in 2-D, the batch in 3-D)
    dict(name="matmul_k_from_second_rows", cell="op_flops",
         find="return 2 * int(output.size) * int(a.shape[-1])",
         replace="return 2 * int(output.size) * int(output._inputs[1].shape[0])",
         caught_by=["test_op_flops"]),
    dict(name="linear_bias_not_counted", cell="op_flops",
         find='extra = int(output.size) if op == "linear" and len(output._inputs) == 3 else 0', replace="extra = 0",
         caught_by=["test_count_flops"]),
    dict(name="conv_without_kernel_area", cell="op_flops",
         find="per_output = int(w.size) // int(w.shape[0])", replace="per_output = int(w.shape[1])",
         caught_by=["test_op_flops", "test_count_flops"]),
    dict(name="conv_without_input_channels", cell="op_flops",
         find="per_output = int(w.size) // int(w.shape[0])", replace="per_output = int(w.shape[2]) * int(w.shape[3])",
         caught_by=["test_op_flops", "test_count_flops"]),
    # only the hidden checks see it: a conv2d with a bias
    dict(name="conv_bias_not_counted", cell="op_flops",
         find="bias = int(output.size) if len(output._inputs) == 3 else 0", replace="bias = 0",
         caught_by=["test_op_flops", "test_count_flops"]),
    # only the hidden checks see it: a sum over one axis
    dict(name="reduction_per_output", cell="op_flops",
         find="return int(output._inputs[0].size)", replace="return int(output.size)",
         caught_by=["test_op_flops"]),
    # the fused ops (fvcore's normalization convention, softmax's five passes)
    dict(name="norm_affine_ignored", cell="op_flops",
         find="return n * (5 if has_weight else 4)", replace="return n * 4",
         caught_by=["test_op_flops"]),
    # only the hidden checks see it: batch_norm with running statistics counted as in training
    dict(name="batch_norm_eval_counted_as_train", cell="op_flops",
         find='if op == "batch_norm" and not output._saved["training"]:', replace="if False:",
         caught_by=["test_op_flops", "test_count_flops"]),
    dict(name="softmax_counted_as_elementwise", cell="op_flops",
         find="return 5 * int(output.size)", replace="return int(output.size)",
         caught_by=["test_op_flops"]),
    # only the hidden checks see it: a masked softmax whose output is larger than its input (broadcast)
    dict(name="softmax_per_input_element", cell="op_flops",
         find="return 5 * int(output.size)", replace="return 5 * int(output._inputs[0].size)",
         caught_by=["test_op_flops"]),

    # ---- 3. count_flops
    # the seed project's bug: one sample's FLOPs reported as the model's
    dict(name="flops_ignore_batch", cell="count_flops",
         find="x = layer(x)", replace="x = layer(x[:1]) if x.shape[0] > 1 else layer(x)",
         caught_by=["test_count_flops"]),
    dict(name="all_flops_in_first_layer", cell="count_flops",
         find="                current[0] = name\n", replace="                current[0] = current[0] or name\n",
         caught_by=["test_count_flops"]),
    # only the hidden checks see it: the model's training mode after counting
    dict(name="mode_not_restored", cell="count_flops",
         find="model.train(was_training)", replace="model.eval()",
         caught_by=["test_count_flops"]),
    # only the hidden checks see it: a forward that raises leaves the hook registered (op_flops then raises on a
    # matmul under no_grad())
    dict(name="hook_kept_when_forward_raises", cell="count_flops",
         find="        with add_op_hook(observe):\n            for name, layer in stages:\n                current[0] = name\n"
              "                by_layer.setdefault(name, 0)\n                x = layer(x)\n",
         replace="        handle = add_op_hook(observe)\n        for name, layer in stages:\n            current[0] = name\n"
                 "            by_layer.setdefault(name, 0)\n            x = layer(x)\n        handle.remove()\n",
         caught_by=["test_count_flops"]),

    # ---- 4. measure_memory
    # the seed project's bug: float32 taken for 8 bytes
    dict(name="float32_as_8_bytes", cell="measure_memory",
         find='"parameter_bytes": sum(int(p.data.nbytes) for p in params)',
         replace='"parameter_bytes": sum(int(p.size) * 8 for p in params)',
         caught_by=["test_measure_memory"]),
    # only the hidden checks see it: float64 arrays
    dict(name="activations_as_4_bytes", cell="measure_memory",
         find='"activation_bytes": sum(int(b.nbytes) for b in buffers)',
         replace='"activation_bytes": sum(int(b.size) * 4 for b in buffers)',
         caught_by=["test_measure_memory"]),
    # only the hidden checks see it: a parameter that gets no gradient
    dict(name="gradients_of_every_parameter", cell="measure_memory",
         find='"gradient_bytes": sum(int(p.grad.nbytes) for p in params if p.grad is not None)',
         replace='"gradient_bytes": sum(int(p.data.nbytes) for p in params)',
         caught_by=["test_measure_memory"]),
    # only the hidden checks see it: Flatten's reshape is a view of the conv output
    dict(name="views_counted_again", cell="measure_memory",
         find="buf = _buffer(event.output.data)", replace="buf = event.output.data",
         caught_by=["test_measure_memory"]),
    dict(name="adam_state_not_counted", cell="measure_memory",
         find="for v in s.values() if isinstance(v, np.ndarray)", replace="for v in list(s.values())[:1] if isinstance(v, np.ndarray)",
         caught_by=["test_measure_memory"]),
    # only the hidden checks see it: a "peak" that is the activations, not tracemalloc's measurement
    dict(name="peak_is_activations", cell="measure_memory",
         find='"peak_bytes": int(peak),', replace='"peak_bytes": sum(int(b.nbytes) for b in buffers),',
         caught_by=["test_measure_memory"]),

    # ---- 5. measure_latency
    dict(name="warmup_timed", cell="measure_latency",
         find="for _ in range(warmup):\n        fn()\n    times = []\n    for _ in range(repeats):",
         replace="times = []\n    for _ in range(warmup + repeats):",
         caught_by=["test_measure_latency"]),
    dict(name="mean_not_median", cell="measure_latency",
         find='return {"median": median,', replace='return {"median": float(np.mean(times)),',
         caught_by=["test_measure_latency"]),
    # only the hidden checks see it: an even number of repeats
    dict(name="median_without_interpolation", cell="measure_latency",
         find="np.percentile(times, [25, 50, 75])", replace='np.percentile(times, [25, 50, 75], method="lower")',
         caught_by=["test_measure_latency"]),

    # ---- 6. op_breakdown
    dict(name="forward_time_since_start", cell="op_breakdown",
         find='row["seconds"] += seconds\n        last[0] = clock()', replace='row["seconds"] += seconds',
         caught_by=["test_op_breakdown"]),
    # only the hidden checks see it: the clock moves 100 s before the backward
    dict(name="backward_timed_by_clock", cell="op_breakdown",
         find='seconds = now - last[0] if event.phase == "forward" else event.seconds', replace="seconds = now - last[0]",
         caught_by=["test_op_breakdown"]),
    # only the hidden checks see it: an op run after op_breakdown returned
    dict(name="hook_left_registered", cell="op_breakdown",
         find="with add_op_hook(observe):\n        last[0] = clock()\n        fn()",
         replace="add_op_hook(observe)\n    last[0] = clock()\n    fn()",
         caught_by=["test_op_breakdown"]),
]
