/**
 * Vert.x Web adapters of the Covenant client: {@link io.covenant.client.vertx.TransactionContextHandler}
 * binds the transaction context of incoming requests, {@link io.covenant.client.vertx.DispatcherHandler}
 * serves a {@link io.covenant.client.ParticipantDispatcher} off the event loop. Vert.x Web 5 is a
 * {@code provided} dependency: the application brings its own.
 */
package io.covenant.client.vertx;
