/**
 * Annotation-driven TCC for plain Java: {@link io.covenant.tcc.GlobalTransactional} on the initiating
 * method, {@link io.covenant.tcc.TccAction} with {@link io.covenant.tcc.Confirm} and
 * {@link io.covenant.tcc.Cancel} on a participant's methods. {@link io.covenant.tcc.Tcc} makes
 * initiators (JDK proxies, ByteBuddy subclasses) and remote stubs; {@link io.covenant.tcc.TccParticipant}
 * serves the annotated beans over HTTP behind the branch barrier. {@code io.covenant.tcc.internal} is
 * not API.
 */
package io.covenant.tcc;
