/**
 * Not API: the HTTP transport to the coordinator, retries, JSON and problem mapping behind
 * {@link io.covenant.client.CovenantClient}. Anything here may change without notice.
 */
package io.covenant.client.internal;
