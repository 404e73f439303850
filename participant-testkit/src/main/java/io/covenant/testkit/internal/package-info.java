/**
 * Not API: the scenarios, the HTTP caller and the transcript behind
 * {@link io.covenant.testkit.ParticipantContractExtension}. Anything here may change without notice.
 */
package io.covenant.testkit.internal;
