package dev.loupe.model;

import dev.loupe.LoupeException;

import java.util.Locale;

/**
 * How a model holds its weight matrices (c_attn, c_proj, c_fc, W_E, W_U): float32, the default and
 * the only format for training, or bfloat16 for inference and analysis, which halves the bytes
 * streamed per decoded token and the memory of a checkpoint (weight analyses read its exact float32
 * widening, e.g. {@link Attention#wQ}). Activations, hooks, biases,
 * LayerNorm parameters and positions stay float32 in both; products accumulate in float32.
 */
public enum WeightFormat {
    F32, BF16;

    /** The format named {@code text}: "f32" (or "fp32", "float32") or "bf16" (or "bfloat16"), any case. */
    public static WeightFormat parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new LoupeException("unknown weight format '" + text + "': expected f32 or bf16");
        };
    }

    /** Bytes per weight-matrix element: 4 or 2. */
    public int bytes() {
        return this == F32 ? 4 : 2;
    }

    /** "f32" or "bf16", as typed on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
