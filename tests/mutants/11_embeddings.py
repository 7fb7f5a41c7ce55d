"""Plausible wrong implementations of 11_embeddings; `make check` proves the tests catch each one."""
MUTANTS = [
    # --- the lookup ---------------------------------------------------------------------------------------------
    # NumPy reads a boolean array as a mask: rows come back, silently the wrong ones (only the hidden checks pass bools)
    dict(name="only_float_ids_rejected", cell="embedding_lookup",
         find='if ids.dtype.kind not in "iu":', replace='if ids.dtype.kind == "f":',
         caught_by=["test_embedding_lookup"]),
    dict(name="negative_ids_accepted", cell="embedding_lookup",
         find="bad = ids[(ids < 0) | (ids >= num_embeddings)]", replace="bad = ids[ids >= num_embeddings]",
         caught_by=["test_embedding_lookup"]),
    # id == num_embeddings slips past the check; NumPy's own IndexError then names no range
    dict(name="range_check_off_by_one", cell="embedding_lookup",
         find="bad = ids[(ids < 0) | (ids >= num_embeddings)]", replace="bad = ids[(ids < 0) | (ids > num_embeddings)]",
         caught_by=["test_embedding_lookup"]),
    # the message names the largest bad id, not the first: right whenever a single id is bad (as in the visible checks)
    dict(name="first_bad_id_not_named", cell="embedding_lookup",
         find="bad.flat[0]", replace="bad.max()",
         caught_by=["test_embedding_lookup"]),
    dict(name="ids_flattened", cell="embedding_lookup",
         find="rows = weight[ids]", replace="rows = weight[ids.reshape(-1)]",
         caught_by=["test_embedding_lookup"]),
    dict(name="lookup_cuts_the_graph", cell="embedding_lookup",
         find="rows = weight[ids]", replace="rows = Tensor(weight.data[ids])",
         caught_by=["test_embedding_lookup", "test_embedding_gradient"]),
    # a hand-written gather op whose rule writes grad[ids] += g: NumPy buffers it, so the last repeat wins
    dict(name="repeated_ids_last_write_wins", cell="embedding_lookup",
         find="rows = weight[ids]",
         replace="from tinytorch.autograd import register_op\n\n"
                 "    def _gather_rule(out, g):\n"
                 "        grad = np.zeros(out._inputs[0].shape, dtype=g.dtype)\n"
                 "        grad[out._saved[\"ids\"]] += g\n"
                 "        return (grad,)\n\n"
                 "    register_op(\"gather_rows\", _gather_rule, replace=True)\n"
                 "    rows = Tensor.from_op(weight.data[ids], \"gather_rows\", weight, ids=ids)",
         caught_by=["test_embedding_gradient", "test_embedding_module"]),
    dict(name="padding_row_gets_gradient", cell="embedding_lookup",
         find="rows = where(keep, rows, rows.detach())", replace="rows = rows",
         caught_by=["test_embedding_gradient", "test_embedding_module"]),
    # stops the gradient too, but the output at a padding position is zeros instead of the padding row
    dict(name="padding_zeroes_the_output", cell="embedding_lookup",
         find="rows = where(keep, rows, rows.detach())", replace="rows = rows * Tensor(keep.astype(rows.dtype))",
         caught_by=["test_embedding_lookup"]),
    dict(name="functional_negative_padding_idx_not_normalized", cell="embedding_lookup",
         find="        if padding_idx < 0:\n            padding_idx += num_embeddings\n", replace="",
         caught_by=["test_embedding_gradient"]),
    # --- the module ---------------------------------------------------------------------------------------------
    dict(name="weight_shape_transposed", cell="embedding_module",
         find="np.random.standard_normal((self.num_embeddings, self.embedding_dim))",
         replace="np.random.standard_normal((self.embedding_dim, self.num_embeddings))",
         caught_by=["test_embedding_module"]),
    dict(name="padding_row_not_zeroed", cell="embedding_module",
         find="w[padding_idx] = 0.0", replace="pass",
         caught_by=["test_embedding_module"]),
    dict(name="weight_float64", cell="embedding_module",
         find="self.embedding_dim)).astype(np.float32)", replace="self.embedding_dim))",
         caught_by=["test_embedding_module"]),
    dict(name="init_gpt2_scale", cell="embedding_module",
         find="w = np.random.standard_normal(", replace="w = 0.02 * np.random.standard_normal(",
         caught_by=["test_embedding_module"]),
    dict(name="init_private_generator", cell="embedding_module",
         find="w = np.random.standard_normal(", replace="w = np.random.default_rng().standard_normal(",
         caught_by=["test_embedding_module"]),
    # the right shape and distribution, but drawn (D, V) and transposed: other numbers than the documented draw
    dict(name="init_drawn_transposed", cell="embedding_module",
         find="w = np.random.standard_normal((self.num_embeddings, self.embedding_dim)).astype(np.float32)",
         replace="w = np.random.standard_normal((self.embedding_dim, self.num_embeddings)).T.astype(np.float32)",
         caught_by=["test_embedding_module"]),
    dict(name="module_negative_padding_idx_not_normalized", cell="embedding_module",
         find="            if padding_idx < 0:\n                padding_idx += self.num_embeddings\n", replace="",
         caught_by=["test_embedding_module"]),
    # --- learned positions --------------------------------------------------------------------------------------
    dict(name="positions_from_the_end", cell="positional_embedding",
         find="return x + self.weight[:seq]", replace="return x + self.weight[-seq:]",
         caught_by=["test_positional_embedding"]),
    dict(name="positions_shifted_by_one", cell="positional_embedding",
         find="return x + self.weight[:seq]", replace="return x + self.weight[1:seq + 1]",
         caught_by=["test_positional_embedding"]),
    dict(name="seq_length_check_off_by_one", cell="positional_embedding",
         find="if seq > max_len:", replace="if seq >= max_len:",
         caught_by=["test_positional_embedding", "test_sinusoidal_module"]),
    dict(name="positional_init_gpt2_scale", cell="positional_embedding",
         find="w = np.random.standard_normal((self.max_len", replace="w = 0.01 * np.random.standard_normal((self.max_len",
         caught_by=["test_positional_embedding"]),
    # a wrong last dim usually fails in the broadcast anyway (a ValueError naming the shapes), but a last dim of 1
    # broadcasts silently
    dict(name="last_dim_not_checked", cell="positional_embedding",
         find="if x.ndim < 2 or x.shape[-1] != dim:", replace="if x.ndim < 2:",
         caught_by=["test_positional_embedding", "test_sinusoidal_module"]),
    # a 1-D x then fails on x.shape[-2] with an IndexError instead of the documented ValueError
    dict(name="ndim_not_checked", cell="positional_embedding",
         find="if x.ndim < 2 or x.shape[-1] != dim:", replace="if x.shape[-1] != dim:",
         caught_by=["test_positional_embedding"]),
    # --- the sinusoidal table -----------------------------------------------------------------------------------
    dict(name="sin_cos_swapped", cell="sinusoidal_table",
         find="pe[:, 0::2] = np.sin(angle)\n    pe[:, 1::2] = np.cos(angle)",
         replace="pe[:, 0::2] = np.cos(angle)\n    pe[:, 1::2] = np.sin(angle)",
         caught_by=["test_sinusoidal_table", "test_sinusoidal_module"]),
    dict(name="exponent_i_over_d", cell="sinusoidal_table",
         find="10000.0 ** (two_i / dim)", replace="10000.0 ** (two_i / 2 / dim)",
         caught_by=["test_sinusoidal_table", "test_sinusoidal_module"]),
    dict(name="halves_concatenated", cell="sinusoidal_table",
         find="pe[:, 0::2] = np.sin(angle)\n    pe[:, 1::2] = np.cos(angle)",
         replace="pe[:, :dim // 2] = np.sin(angle)\n    pe[:, dim // 2:] = np.cos(angle)",
         caught_by=["test_sinusoidal_table", "test_sinusoidal_module"]),
    dict(name="cos_uses_the_column_index", cell="sinusoidal_table",
         find="pe[:, 1::2] = np.cos(angle)", replace="pe[:, 1::2] = np.cos(pos / 10000.0 ** ((two_i + 1) / dim))",
         caught_by=["test_sinusoidal_table"]),
    dict(name="table_float64", cell="sinusoidal_table",
         find="return pe.astype(np.float32)", replace="return pe",
         caught_by=["test_sinusoidal_table", "test_sinusoidal_module"]),
    # --- the sinusoidal module ----------------------------------------------------------------------------------
    dict(name="buffer_requires_grad", cell="sinusoidal_module",
         find="self.pe = Tensor(sinusoidal_positional_encoding(self.max_len, self.dim))",
         replace="self.pe = Tensor(sinusoidal_positional_encoding(self.max_len, self.dim), requires_grad=True)",
         caught_by=["test_sinusoidal_module"]),
    # the module checks the length but compares x's last dim with itself: a last dim of 1 broadcasts silently
    dict(name="sinusoidal_module_skips_dim_check", cell="sinusoidal_module",
         find='_sequence_length(x, self.max_len, self.dim, "SinusoidalPositionalEncoding")',
         replace='_sequence_length(x, self.max_len, x.shape[-1], "SinusoidalPositionalEncoding")',
         caught_by=["test_sinusoidal_module"]),
]
