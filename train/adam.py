"""Adam's update as one fused kernel per variable, on the Keras optimizer's own slots (its private attributes)."""

from tfjs_bridge.common.quiet import tf

SUM = tf.distribute.ReduceOp.SUM


def fused_adam(optimizer):
    """Adam's update as one fused kernel per variable (ResourceApplyAdam), on the Keras optimizer's own slots.

    The same maths as Keras 3's Adam (m, v, bias-corrected step size, epsilon outside the square root; tests
    compare it with a float64 reference and with Keras), but one kernel per variable instead of ~25 small
    element-wise ones, which dominate a small model's step on CPU (probe: 2.6 → 0.9 ms per MLP step, batch 32).
    Under a distribution strategy the replicas' gradients are summed first, then every device updates its own
    copy, as the optimizer's apply_gradients does.
    """

    def update(var, grad, m, v, step):
        """One device's copy of a variable and its slots, one fused Adam step."""
        dtype = var.dtype
        t, beta_1, beta_2 = tf.cast(step, dtype), tf.constant(optimizer.beta_1, dtype), tf.constant(optimizer.beta_2, dtype)
        return tf.raw_ops.ResourceApplyAdam(
            var=var.handle, m=m.handle, v=v.handle, beta1_power=beta_1**t, beta2_power=beta_2**t,
            lr=tf.cast(optimizer.learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.constant(optimizer.epsilon, dtype), grad=tf.cast(grad, dtype))

    def apply_all(strategy, grads_and_vars):
        summed = strategy.extended.batch_reduce_to(SUM, [(g, v.value) for g, v in grads_and_vars])
        step = optimizer.iterations + 1
        for grad, (_, var) in zip(summed, grads_and_vars, strict=True):
            # Keras 3 keeps Adam's slots in private lists indexed like the variables: the one coupling to Keras internals.
            i = optimizer._get_variable_index(var)
            slots = (optimizer._momentums[i].value, optimizer._velocities[i].value)
            strategy.extended.update(var.value, update, args=(grad, *slots, step), group=False)
        strategy.extended.update(optimizer.iterations.value, lambda it: it.assign_add(1), group=False)

    def apply(grads_and_vars):
        tf.distribute.get_replica_context().merge_call(apply_all, args=(list(grads_and_vars),))

    return apply


def update_rule(optimizer):
    """How a step applies its gradients: fused Adam for plain Adam, else the optimizer's own apply_gradients."""
    if isinstance(optimizer, tf.keras.optimizers.Adam) and not optimizer.amsgrad and optimizer.weight_decay is None:
        return fused_adam(optimizer)
    return optimizer.apply_gradients
