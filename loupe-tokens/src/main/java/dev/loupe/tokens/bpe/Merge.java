package dev.loupe.tokens.bpe;

/**
 * One BPE merge rule: adjacent tokens {@code left}, {@code right} become {@code merged}; among
 * the pairs present in a piece, the one with the lowest {@code rank} merges first (the leftmost
 * on a tie).
 */
public record Merge(int left, int right, int rank, int merged) {}
