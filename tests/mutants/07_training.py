"""Plausible wrong implementations of 07_training; `make check` proves the tests catch each one."""
MUTANTS = [
    # clip_grad_norm
    dict(name="clip_per_parameter_norm", cell="clip_grad_norm",
         find="            g *= scale",
         replace="            g *= min(1.0, max_norm / (float(np.sqrt(np.sum(g.astype(np.float64) ** 2))) + 1e-6))",
         caught_by=["test_clip_grad_norm"]),
    dict(name="clip_returns_post_clip_norm", cell="clip_grad_norm",
         find="    return norm", replace="    return min(norm, max_norm)",
         caught_by=["test_clip_grad_norm"]),
    # only the hidden 1e20 test sees this one
    dict(name="clip_sums_squares_in_float32", cell="clip_grad_norm",
         find="np.square(g, dtype=np.float64)", replace="np.square(g)",
         caught_by=["test_clip_grad_norm"]),
    # CosineSchedule
    dict(name="cosine_phase_swapped", cell="cosine_schedule",
         find="(1 + math.cos(math.pi * progress))", replace="(1 - math.cos(math.pi * progress))",
         caught_by=["test_cosine_schedule"]),
    dict(name="warmup_off_by_one", cell="cosine_schedule",
         find="self.max_lr * step / self.warmup_steps", replace="self.max_lr * (step + 1) / self.warmup_steps",
         caught_by=["test_cosine_schedule"]),
    # same value at step == warmup_steps, but divides by zero without warmup: only the hidden part sees it
    dict(name="warmup_includes_boundary_step", cell="cosine_schedule",
         find="if step < self.warmup_steps:", replace="if step <= self.warmup_steps:",
         caught_by=["test_cosine_schedule"]),
    # Trainer.train_epoch: only the hidden comparison with a reference loop sees these
    dict(name="train_forgets_zero_grad", cell="trainer",
         find="            self.optimizer.zero_grad()\n", replace="",
         caught_by=["test_train_epoch"]),
    dict(name="train_schedules_after_step", cell="trainer",
         find="            if self.scheduler is not None:\n                self.optimizer.lr = self.scheduler(self.step)\n"
              "            self.optimizer.step()\n",
         replace="            self.optimizer.step()\n            if self.scheduler is not None:\n"
                 "                self.optimizer.lr = self.scheduler(self.step)\n",
         caught_by=["test_train_epoch"]),
    dict(name="train_keeps_eval_mode", cell="trainer",
         find="        self.model.train()\n", replace="",
         caught_by=["test_train_epoch"]),
    # Trainer.evaluate
    dict(name="evaluate_in_train_mode", cell="trainer",
         find="        self.model.eval()\n", replace="        self.model.train()\n",
         caught_by=["test_evaluate"]),
    dict(name="evaluate_records_graph", cell="trainer",
         find="        with no_grad():\n", replace="        if True:\n",
         caught_by=["test_evaluate"]),
    dict(name="evaluate_averages_batch_means", cell="trainer",
         find="float(np.average(losses, weights=sizes))", replace="float(np.mean(losses))",
         caught_by=["test_evaluate"]),
    # checkpoints
    dict(name="checkpoint_without_optimizer_state", cell="trainer",
         find='                arrays[f"optim.{i}.{name}"] = np.asarray(value)\n', replace="                pass\n",
         caught_by=["test_checkpoint"]),
    dict(name="load_skips_shape_check", cell="trainer",
         find="            if saved[f\"param.{i}\"].shape != p.shape:", replace="            if False:",
         caught_by=["test_checkpoint"]),
    dict(name="load_restores_params_only", cell="trainer",
         find="        self.step = int(saved[\"trainer.step\"])\n", replace="",
         caught_by=["test_checkpoint"]),
]
