package dev.loupe.tensor.linalg;

/**
 * A matrix decomposition or solve could not be carried out: the input holds NaN or ±∞, the matrix is
 * singular, or the iteration did not converge. The message names the operation, the matrix size and
 * the reason.
 */
public class DecompositionException extends ArithmeticException {
    public DecompositionException(String message) {
        super(message);
    }
}
