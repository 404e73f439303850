/**
 * The Covenant Java client: {@link io.covenant.client.CovenantClient} (begin, register, commit,
 * rollback, sagas, queries; blocking, with {@link io.covenant.client.AsyncCovenantClient} as its
 * non-blocking twin), context propagation ({@link io.covenant.client.TransactionContext},
 * {@link io.covenant.client.CovenantHeaders}, {@link io.covenant.client.PropagatingHttpClient},
 * {@link io.covenant.client.TransactionContextFilter}) and the participant side
 * ({@link io.covenant.client.ParticipantDispatcher}). Servlet adapters live in
 * {@code io.covenant.client.servlet}, the branch barrier in {@code io.covenant.client.barrier};
 * {@code io.covenant.client.internal} is not API.
 */
package io.covenant.client;
