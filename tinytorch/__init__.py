"""tinytorch: the reference package, exported from the course notebooks by `make package`."""
from tinytorch.tensor import is_grad_enabled, set_grad_enabled, broadcast_shape, Tensor
from tinytorch.activations import ReLU, Sigmoid, Tanh, GELU, Softmax
from tinytorch.layers import Module, Linear, Dropout, Sequential, Flatten
from tinytorch.losses import Loss, log_softmax, MSELoss, CrossEntropyLoss, BinaryCrossEntropyLoss
from tinytorch.autograd import unbroadcast, grad_add, grad_mul, grad_neg, grad_pow, grad_exp, grad_log, grad_matmul, grad_sum, grad_max, grad_reshape, grad_transpose, grad_getitem, GELU_C, grad_relu, grad_sigmoid, grad_tanh, grad_gelu, GRAD_RULES, topological_order, backward, no_grad
from tinytorch.optimizers import Optimizer, SGD, Adam, AdamW
from tinytorch.training import clip_grad_norm, CosineSchedule, Trainer
from tinytorch.datasets import ChecksumError, read_idx, write_idx, default_cache_dir, fetch, load_mnist
