"""The interpreter: runs any range of a Program's nodes forward, backward or in forward mode.

Stepping one node and training whole epochs call the same functions, so they cannot disagree.
Leaves (inputs, parameters, constants) have no rule and are skipped.
"""

from nnviz.engine import kernels as k
from nnviz.engine import ops
from nnviz.engine.jit import njit


@njit
def forward(m, c, v, lo, hi, batch, ctl):
    """Compute the values of nodes lo … hi−1, in order; ctl is the team for big GEMMs."""
    for i in range(lo, hi):
        op = m[i, k.OP]
        if op == ops.MATMUL:
            k.fwd_matmul(m, c, v, i, batch, ctl)
        elif op == ops.ADD:
            k.fwd_add(m, c, v, i, batch)
        elif op == ops.SUB:
            k.fwd_sub(m, c, v, i, batch)
        elif op == ops.MUL:
            k.fwd_mul(m, c, v, i, batch)
        elif op == ops.SCALE:
            k.fwd_scale(m, c, v, i, batch)
        elif op == ops.SUM:
            k.fwd_sum(m, c, v, i, batch)
        elif op == ops.MEAN:
            k.fwd_mean(m, c, v, i, batch)
        elif op == ops.SIGMOID:
            k.fwd_sigmoid(m, c, v, i, batch)
        elif op == ops.TANH:
            k.fwd_tanh(m, c, v, i, batch)
        elif op == ops.RELU:
            k.fwd_relu(m, c, v, i, batch)
        elif op == ops.IDENTITY:
            k.fwd_identity(m, c, v, i, batch)
        elif op == ops.SOFTMAX:
            k.fwd_softmax(m, c, v, i, batch)
        elif op == ops.STEP:
            k.fwd_step(m, c, v, i, batch)
        elif op == ops.MSE:
            k.fwd_mse(m, c, v, i, batch)
        elif op == ops.MAE:
            k.fwd_mae(m, c, v, i, batch)
        elif op == ops.BCE:
            k.fwd_bce(m, c, v, i, batch)
        elif op == ops.BCE_LOGITS:
            k.fwd_bce_logits(m, c, v, i, batch)
        elif op == ops.SOFTMAX_CE:
            k.fwd_softmax_ce(m, c, v, i, batch)
        elif op == ops.L2:
            k.fwd_l2(m, c, v, i, batch)
        elif op == ops.L1:
            k.fwd_l1(m, c, v, i, batch)
        elif op == ops.FEATURES:
            k.fwd_features(m, c, v, i, batch)
        elif op == ops.CONV2D:
            k.fwd_conv2d(m, c, v, i, batch)
        elif op == ops.MAXPOOL:
            k.fwd_maxpool(m, c, v, i, batch)
        elif op == ops.AVGPOOL:
            k.fwd_avgpool(m, c, v, i, batch)
        elif op == ops.RESHAPE:
            k.fwd_reshape(m, c, v, i, batch)
        elif op == ops.DROPOUT:
            k.fwd_dropout(m, c, v, i, batch)


@njit
def backward(m, c, v, g, lo, hi, batch, ctl):
    """Run the VJP rules of nodes hi−1 … lo, in reverse order; gradients accumulate."""
    for i in range(hi - 1, lo - 1, -1):
        if not m[i, k.NEEDS_GRAD]:
            continue
        op = m[i, k.OP]
        if op == ops.MATMUL:
            k.vjp_matmul(m, c, v, g, i, batch, ctl)
        elif op == ops.ADD:
            k.vjp_add(m, c, v, g, i, batch)
        elif op == ops.SUB:
            k.vjp_sub(m, c, v, g, i, batch)
        elif op == ops.MUL:
            k.vjp_mul(m, c, v, g, i, batch)
        elif op == ops.SCALE:
            k.vjp_scale(m, c, v, g, i, batch)
        elif op == ops.SUM:
            k.vjp_sum(m, c, v, g, i, batch)
        elif op == ops.MEAN:
            k.vjp_mean(m, c, v, g, i, batch)
        elif op == ops.SIGMOID:
            k.vjp_sigmoid(m, c, v, g, i, batch)
        elif op == ops.TANH:
            k.vjp_tanh(m, c, v, g, i, batch)
        elif op == ops.RELU:
            k.vjp_relu(m, c, v, g, i, batch)
        elif op == ops.IDENTITY:
            k.vjp_identity(m, c, v, g, i, batch)
        elif op == ops.SOFTMAX:
            k.vjp_softmax(m, c, v, g, i, batch)
        elif op == ops.STEP:
            k.vjp_step(m, c, v, g, i, batch)
        elif op == ops.MSE:
            k.vjp_mse(m, c, v, g, i, batch)
        elif op == ops.MAE:
            k.vjp_mae(m, c, v, g, i, batch)
        elif op == ops.BCE:
            k.vjp_bce(m, c, v, g, i, batch)
        elif op == ops.BCE_LOGITS:
            k.vjp_bce_logits(m, c, v, g, i, batch)
        elif op == ops.SOFTMAX_CE:
            k.vjp_softmax_ce(m, c, v, g, i, batch)
        elif op == ops.L2:
            k.vjp_l2(m, c, v, g, i, batch)
        elif op == ops.L1:
            k.vjp_l1(m, c, v, g, i, batch)
        elif op == ops.FEATURES:
            k.vjp_features(m, c, v, g, i, batch)
        elif op == ops.CONV2D:
            k.vjp_conv2d(m, c, v, g, i, batch)
        elif op == ops.MAXPOOL:
            k.vjp_maxpool(m, c, v, g, i, batch)
        elif op == ops.AVGPOOL:
            k.vjp_avgpool(m, c, v, g, i, batch)
        elif op == ops.RESHAPE:
            k.vjp_reshape(m, c, v, g, i, batch)
        elif op == ops.DROPOUT:
            k.vjp_dropout(m, c, v, g, i, batch)


@njit
def tangents(m, c, v, t, lo, hi, batch):
    """Forward mode: compute the tangents of nodes lo … hi−1 from their inputs' tangents."""
    for i in range(lo, hi):
        op = m[i, k.OP]
        if op == ops.MATMUL:
            k.jvp_matmul(m, c, v, t, i, batch)
        elif op == ops.ADD:
            k.jvp_add(m, c, v, t, i, batch)
        elif op == ops.SUB:
            k.jvp_sub(m, c, v, t, i, batch)
        elif op == ops.MUL:
            k.jvp_mul(m, c, v, t, i, batch)
        elif op == ops.SCALE:
            k.jvp_scale(m, c, v, t, i, batch)
        elif op == ops.SUM:
            k.jvp_sum(m, c, v, t, i, batch)
        elif op == ops.MEAN:
            k.jvp_mean(m, c, v, t, i, batch)
        elif op == ops.SIGMOID:
            k.jvp_sigmoid(m, c, v, t, i, batch)
        elif op == ops.TANH:
            k.jvp_tanh(m, c, v, t, i, batch)
        elif op == ops.RELU:
            k.jvp_relu(m, c, v, t, i, batch)
        elif op == ops.IDENTITY:
            k.jvp_identity(m, c, v, t, i, batch)
        elif op == ops.SOFTMAX:
            k.jvp_softmax(m, c, v, t, i, batch)
        elif op == ops.STEP:
            k.jvp_step(m, c, v, t, i, batch)
        elif op == ops.MSE:
            k.jvp_mse(m, c, v, t, i, batch)
        elif op == ops.MAE:
            k.jvp_mae(m, c, v, t, i, batch)
        elif op == ops.BCE:
            k.jvp_bce(m, c, v, t, i, batch)
        elif op == ops.BCE_LOGITS:
            k.jvp_bce_logits(m, c, v, t, i, batch)
        elif op == ops.SOFTMAX_CE:
            k.jvp_softmax_ce(m, c, v, t, i, batch)
        elif op == ops.L2:
            k.jvp_l2(m, c, v, t, i, batch)
        elif op == ops.L1:
            k.jvp_l1(m, c, v, t, i, batch)
        elif op == ops.FEATURES:
            k.jvp_features(m, c, v, t, i, batch)
        elif op == ops.CONV2D:
            k.jvp_conv2d(m, c, v, t, i, batch)
        elif op == ops.MAXPOOL:
            k.jvp_maxpool(m, c, v, t, i, batch)
        elif op == ops.AVGPOOL:
            k.jvp_avgpool(m, c, v, t, i, batch)
        elif op == ops.RESHAPE:
            k.jvp_reshape(m, c, v, t, i, batch)
        elif op == ops.DROPOUT:
            k.jvp_dropout(m, c, v, t, i, batch)
