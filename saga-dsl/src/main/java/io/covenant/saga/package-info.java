/**
 * The saga DSL: define a saga in Java ({@link io.covenant.saga.Saga#named}) or as JSON / YAML
 * ({@link io.covenant.saga.SagaDefinition#fromYaml}), have it checked before anything runs, and run
 * it on the coordinator ({@link io.covenant.saga.SagaClient}). No Vert.x: the JDK, Jackson and
 * tx-client only.
 */
package io.covenant.saga;
