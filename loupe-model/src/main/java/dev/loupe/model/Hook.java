package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * A function called at a hook point during a forward pass (TransformerLens's hook functions).
 *
 * <p>{@code activation} is a live view of the model's buffer, in the shape the hook-name table gives
 * ({@link HookPoints#table}); batch is the outer dimension. A hook may
 * <ul>
 *   <li>read it (copy what it keeps: the buffer is reused by the next pass),</li>
 *   <li>edit it in place and return it, or</li>
 *   <li>return a different tensor of the same shape, which replaces the activation (it is copied in).</li>
 * </ul>
 * Either way the forward pass continues with the (possibly changed) activation.
 */
@FunctionalInterface
public interface Hook {
    /** @return {@code activation} itself (read or edited in place), or a replacement of the same shape. */
    Tensor apply(Tensor activation, String name);

    /** A read-only hook from a consumer (it returns the activation unchanged). */
    static Hook reader(java.util.function.BiConsumer<Tensor, String> read) {
        return (a, name) -> {
            read.accept(a, name);
            return a;
        };
    }
}
