package io.covenant.samples.shop;

/** An order as the order service receives it: {@code amount} in cents. */
public record Order(String orderId, String customer, String sku, int qty, long amount) {}
