package io.covenant.coordinator.core;

import io.covenant.protocol.Op;
import java.time.Duration;

/**
 * A call the engine must make to a participant: {@code op} on {@code url}, with the branch's
 * payload as the body and the {@code Covenant-*} headers.
 *
 * @param timeout the per-call timeout, or null for the coordinator's default
 */
public record Call(String gid, String branchId, Op op, String url, String payload, Duration timeout) {}
