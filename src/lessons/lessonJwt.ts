/**
 * The identity provider of bookinfo's `jwt` stage: one RSA key (RS256) whose
 * public half is the JWKS the stage's RequestAuthentication trusts, and one
 * token it signed, for the issuer `lessons@istio-workshop.local` and the subject
 * `attendee`, valid until 2100. Made once with Node's crypto; the private key
 * was not kept, so nobody can mint another token for this issuer, and the
 * issuer is trusted only by the stage's policy on productpage, in the
 * attendee's own namespace. The token is no secret: the lesson hands it out.
 */
export const LESSON_JWT_ISSUER = "lessons@istio-workshop.local";
export const LESSON_JWT_SUBJECT = "attendee";
export const LESSON_JWKS = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"6k1Ryso902j0UoSfXw-HeJPbk-4cBS-X9tqhbuRNRel0K4Opd3gupqStyaO-Qd0-0LbTiPrF1fMR8kiEIKaVYrYc1YmpLaaC-mnjun8nnenSQhL8oCQdb9lTUtg_oGS81xaHWyyAZZ328DaWybYgUuYIyNexYuZK4GBHTwzoYjawq1SbWeD2mFK6UOS9aAaO4SDbOrdCGHdiWR2Eg13t-MuFtE8GbAApb55jO9AY-PIy7yZzkAriqs08xL9OEXNebehcz4fCNoPagnYWmgU3pmX1xYQY4Un_hAy-JwYjek15xq5wtUMt02luf7dZ7ttXLb1NkXhxKObj7JfkhhnkJQ\",\"e\":\"AQAB\",\"kid\":\"istio-workshop-lesson\",\"alg\":\"RS256\",\"use\":\"sig\"}]}";
export const LESSON_JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImlzdGlvLXdvcmtzaG9wLWxlc3NvbiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJsZXNzb25zQGlzdGlvLXdvcmtzaG9wLmxvY2FsIiwic3ViIjoiYXR0ZW5kZWUiLCJpYXQiOjE3OTUzOTIwMDAsImV4cCI6NDEwMjQ0NDgwMH0.nKXnUKqdh8y4nl2Rv_riO0Vo0XeDQMtfA1F3P6aLWiySi6wKWOoYTKuFmevqS6-nycyJCQp-oi6hqrbyB5P0_l4W33cMxhkKlEgb7BwX8fLejd4FCNbnoXOi0e9LenDcIwhkht0eihExam4Z-oWpxhQoKMdeHJGD5YeZtKlKD6XrIUbQRXbX3FyzHX_5TdVXlVNV26xMOfjv4XdKkDfz-nHzV2xPi11hZOEpbL3i_EYOhzkV3xuJ9gU3E9QUEAw_K2wJNbKbUwLw09_Qw_2XeJjjrMnI4AxKRfAE1iOEvf8et6-uRQhpfzowRyjKTcIksAS-6dkPRI77YzrpUkhP6Q";
