"""Plausible wrong implementations of 18_acceleration; `make check` proves the tests catch each one.

The seed project's bug is here by name: a tiled matmul that ignores its tile size (its values stay right, so only
the recorded access pattern shows it). Also the issue's list: remainder tiles dropped, the k-accumulation
overwriting instead of adding, wrong loop bounds; the rows version summing over the wrong axis; FLOPs
without the 2; bytes counting C twice or leaving it out; a roofline taking the max instead of the min, an inverted
ridge point; Fortran strides computed as C; GELU's 0.044715 wrong or sqrt(2/pi) missing; a fused GELU or LayerNorm
not writing into `out`; LayerNorm with the unbiased variance or eps outside the square root. And: an accumulator not
reset per output, results that lose float32 (np.float64 constants under NEP 50), the bound at the ridge point, the
mean instead of the median, an order that is not checked.
"""
MUTANTS = [
    # ---- 1. matmul_loops
    dict(name="loops_total_not_reset", cell="matmul_loops",
         find="    for i in range(m):\n        for j in range(n):\n            total = 0.0\n",
         replace="    for i in range(m):\n        total = 0.0\n        for j in range(n):\n",
         caught_by=["test_matmul_loops"]),
    # only the hidden checks see it: float32 inputs
    dict(name="loops_result_float64", cell="matmul_loops",
         find="c = np.zeros((m, n), dtype=np.result_type(a, b))", replace="c = np.zeros((m, n))",
         caught_by=["test_matmul_loops"]),

    # ---- 2. matmul_rows
    dict(name="rows_sum_wrong_axis", cell="matmul_rows",
         find="c[i] = (a[i][:, None] * b).sum(axis=0)", replace="c[i] = (a[i][:, None] * b).sum(axis=1)",
         caught_by=["test_matmul_rows"]),
    # only the hidden checks see it: float32 inputs
    dict(name="rows_result_float64", cell="matmul_rows",
         find="c = np.zeros((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))",
         replace="c = np.zeros((a.shape[0], b.shape[1]))",
         caught_by=["test_matmul_rows"]),

    # ---- 3. matmul_tiled
    # the seed's bug: the tile size is accepted and ignored (values right, access pattern fixed)
    dict(name="tile_size_ignored", cell="matmul_tiled",
         find="t = int(tile_size)", replace="t = 64",
         caught_by=["test_matmul_tiled"]),
    dict(name="remainder_tiles_dropped", cell="matmul_tiled",
         find="for i0 in range(0, m, t):", replace="for i0 in range(0, m - m % t, t):",
         caught_by=["test_matmul_tiled"]),
    dict(name="k_accumulation_overwrites", cell="matmul_tiled",
         find="c[i0:i0 + t, j0:j0 + t] += block_matmul", replace="c[i0:i0 + t, j0:j0 + t] = block_matmul",
         caught_by=["test_matmul_tiled"]),
    # only the hidden checks see it: more row tiles than column tiles (extra empty blocks; the values stay right)
    dict(name="column_tiles_bounded_by_rows", cell="matmul_tiled",
         find="for j0 in range(0, n, t):", replace="for j0 in range(0, m, t):",
         caught_by=["test_matmul_tiled"]),
    # hostile, only the hidden checks see it: the blocks are handed to block_matmul in the right order (the log
    # is right) but C comes from one BLAS call; a block_matmul returning ones shows that C ignores what it returned
    dict(name="tiled_fakes_block_log", cell="matmul_tiled",
         find="                c[i0:i0 + t, j0:j0 + t] += block_matmul(a[i0:i0 + t, k0:k0 + t], b[k0:k0 + t, j0:j0 + t])\n"
              "    return c",
         replace="                block_matmul(a[i0:i0 + t, k0:k0 + t], b[k0:k0 + t, j0:j0 + t])\n"
                 "    return (a @ b).astype(c.dtype)",
         caught_by=["test_matmul_tiled"]),

    # ---- 4. roofline
    dict(name="flops_without_2", cell="roofline",
         find="return 2 * m * k * n", replace="return m * k * n",
         caught_by=["test_roofline"]),
    dict(name="bytes_count_c_twice", cell="roofline",
         find="itemsize * (m * k + k * n + m * n)", replace="itemsize * (m * k + k * n + 2 * m * n)",
         caught_by=["test_roofline"]),
    dict(name="bytes_missing_c", cell="roofline",
         find="itemsize * (m * k + k * n + m * n)", replace="itemsize * (m * k + k * n)",
         caught_by=["test_roofline"]),
    dict(name="roofline_max_not_min", cell="roofline",
         find="min(peak_flops, intensity * bandwidth)", replace="max(peak_flops, intensity * bandwidth)",
         caught_by=["test_roofline"]),
    dict(name="ridge_point_inverted", cell="roofline",
         find="ridge = peak_flops / bandwidth", replace="ridge = bandwidth / peak_flops",
         caught_by=["test_roofline"]),
    # only the hidden checks see it: a kernel exactly at the ridge point
    dict(name="ridge_point_memory_bound", cell="roofline",
         find='intensity < ridge else "compute"', replace='intensity <= ridge else "compute"',
         caught_by=["test_roofline"]),

    # ---- 5. measure_peak_flops, measure_bandwidth
    dict(name="peak_flops_without_2", cell="measure_machine",
         find="flops = matmul_flops(n, n, n)", replace="flops = n ** 3",
         caught_by=["test_measure_machine"]),
    # only the hidden checks see it: timed calls of different lengths
    dict(name="peak_from_mean_time", cell="measure_machine",
         find='return {"flops": flops, "seconds": stats["median"], "flops_per_second": flops / stats["median"]}',
         replace='seconds = float(np.mean(stats["times"]))\n'
                 '    return {"flops": flops, "seconds": seconds, "flops_per_second": flops / seconds}',
         caught_by=["test_measure_machine"]),
    # only the hidden checks see it: the bytes from the argument, not the arrays (nbytes not a multiple of 8)
    dict(name="bandwidth_bytes_from_argument", cell="measure_machine",
         find="moved = src.nbytes + dst.nbytes", replace="moved = 2 * nbytes",
         caught_by=["test_measure_machine"]),

    # ---- 6. strides
    dict(name="f_strides_computed_as_c", cell="strides",
         find='axes = range(len(shape) - 1, -1, -1) if order == "C" else range(len(shape))',
         replace="axes = range(len(shape) - 1, -1, -1)",
         caught_by=["test_strides"]),
    # only the hidden checks see it: an order other than "C" and "F"
    dict(name="order_not_checked", cell="strides",
         find='if order not in ("C", "F"):', replace="if order is None:",
         caught_by=["test_strides"]),

    # ---- 7. GELU
    dict(name="gelu_constant_wrong", cell="gelu",
         find="GELU_CUBIC * (x * x * x)", replace="0.04715 * (x * x * x)",
         caught_by=["test_gelu"]),
    dict(name="gelu_without_sqrt_2_over_pi", cell="gelu",
         find="np.tanh(SQRT_2_OVER_PI * (", replace="np.tanh((",
         caught_by=["test_gelu"]),
    dict(name="fused_gelu_ignores_out", cell="gelu",
         find="    if out is None:\n        out = np.empty_like(x)\n", replace="    out = np.empty_like(x)\n",
         caught_by=["test_gelu"]),
    # only the hidden checks see it: a NumPy float64 constant turns float32 into float64 (NEP 50)
    dict(name="gelu_float64_constant", cell="gelu",
         find="np.tanh(SQRT_2_OVER_PI * (", replace="np.tanh(np.sqrt(2 / np.pi) * (",
         caught_by=["test_gelu"]),
    # right values, right buffer, but the plain expression copied into out: temporary_bytes sees its temporaries
    dict(name="fused_gelu_copies_unfused", cell="gelu",
         find="    np.multiply(x, x, out=out)                  # x²\n",
         replace="    out[...] = 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * (x * x * x))))\n    return out\n",
         caught_by=["test_gelu"]),

    # ---- 8. LayerNorm
    dict(name="layer_norm_unbiased_variance", cell="layer_norm",
         find="var = ((x - mean) * (x - mean)).mean(axis=-1, keepdims=True)",
         replace="var = ((x - mean) * (x - mean)).sum(axis=-1, keepdims=True) / (x.shape[-1] - 1)",
         caught_by=["test_layer_norm"]),
    dict(name="fused_layer_norm_ignores_out", cell="layer_norm",
         find="    if out is None:\n        out = np.empty_like(x)\n", replace="    out = np.empty_like(x)\n",
         caught_by=["test_layer_norm"]),
    # only the hidden checks see it: eps = 0.5 (at 1e-5 the difference hides in float32 rounding)
    dict(name="layer_norm_eps_outside_sqrt", cell="layer_norm",
         find="(x - mean) / np.sqrt(var + eps)", replace="(x - mean) / (np.sqrt(var) + eps)",
         caught_by=["test_layer_norm"]),
    # right values, but the squares of the centered values materialized: a full-size temporary
    dict(name="fused_layer_norm_full_size_squares", cell="layer_norm",
         find='var = np.einsum("...i,...i->...", out, out)[..., None] / n',
         replace="var = (out * out).mean(axis=-1, keepdims=True)",
         caught_by=["test_layer_norm"]),
]
