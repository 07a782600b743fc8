-- The runtime roles, with the local stack's default passwords (README, "Database roles"). The
-- postgres image runs this once, on an empty volume, before `timeline migrate` grants them their rights.
CREATE ROLE timeline_projector LOGIN PASSWORD 'local-projector';
CREATE ROLE timeline_api       LOGIN PASSWORD 'local-api';
CREATE ROLE timeline_relay     LOGIN PASSWORD 'local-relay';
CREATE ROLE timeline_reporting LOGIN PASSWORD 'local-reporting';
REVOKE ALL ON DATABASE timeline FROM PUBLIC;
GRANT CONNECT ON DATABASE timeline TO timeline, timeline_projector, timeline_api, timeline_relay, timeline_reporting;
