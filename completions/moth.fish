# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_moth_global_optspecs
    string join \n help version
end

function __fish_moth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_moth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_moth_using_subcommand
    set -l cmd (__fish_moth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c moth -n "__fish_moth_needs_command" -l help -d 'Print help'
complete -c moth -n "__fish_moth_needs_command" -l version -d 'Print version'
complete -c moth -n "__fish_moth_needs_command" -f -a "pub" -d 'Publish messages (as mosquitto_pub)'
complete -c moth -n "__fish_moth_needs_command" -f -a "sub" -d 'Subscribe and print messages (as mosquitto_sub)'
complete -c moth -n "__fish_moth_needs_command" -f -a "rr" -d 'Send a request and print the response (as mosquitto_rr; MQTT 5 by default)'
complete -c moth -n "__fish_moth_needs_command" -f -a "bench" -d 'Load-test a broker: connections, publishers, subscribers, end-to-end latency (pubsub by default)'
complete -c moth -n "__fish_moth_needs_command" -f -a "config" -d 'Show the connection settings and where each comes from, or the config file\'s path'
complete -c moth -n "__fish_moth_needs_command" -f -a "ls" -d 'Watch a broker for a moment and print the topic tree seen: counts, rates, retained messages, last payloads'
complete -c moth -n "__fish_moth_needs_command" -f -a "ui" -d 'Explore a broker in the terminal: a live topic tree, each topic\'s payloads, history and chart; publish and clear retained messages from it'
complete -c moth -n "__fish_moth_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand pub" -s t -l topic -d 'Topic to publish to' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s m -l message -d 'Send this message' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s f -l file -d 'Send the contents of a file as one message (binary-safe)' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l speed -d 'With --replay: play this many times faster (0.5 is half speed)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l rate -d 'Send this many messages per second (fractions allowed) on a fixed schedule from the start: paces -l, --jsonl, --topic-lines and --repeat' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s q -l qos -d 'Quality of service: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand pub" -l repeat -d 'Publish the message this many times (with -m, -f, -s or -n; ignored with -l, as mosquitto_pub does)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l repeat-delay -d 'Seconds to wait after each delivery before the next --repeat (fractions allowed; at most a year)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l reconnect-timeout -d 'After a lost connection, keep reconnecting and resending until this many seconds pass without a delivery (a link that comes back and drops again does not restart the clock), then give up with exit 7; 0 gives up at once. Default: 30 for -m, -f, -s and -n; no limit for -l' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l response-topic -d 'MQTT 5: topic the receiver should answer on' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l content-type -d 'Content type, e.g. application/json' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l correlation-data -d 'Correlation data to pair an answer with its request' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l message-expiry -d 'Seconds after which the broker drops the message if undelivered' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l payload-format -d 'Payload format indicator: 0 bytes, 1 UTF-8 text' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l user-property -d 'A user property KEY=VALUE (repeatable; order and duplicates kept)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand pub" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s V -l protocol-version -d 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5' -r -f -a "311\t''
5\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand pub" -s i -l id -d 'Client id [default: moth- and a random suffix]' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s I -l id-prefix -d 'Client id prefix; the process id is appended' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s k -l keepalive -d 'Seconds between keep-alive pings, 5 to 65535' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l profile -d 'Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l config -d 'moth\'s config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -s o -l options-file -d 'Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub or _rr' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -s M -l max-inflight -d 'Maximum QoS 1 and 2 messages in flight at once. Above the broker\'s limit (mosquitto\'s max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s D -l property -d 'MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable; COMMAND is connect, publish, subscribe, unsubscribe or will' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l retry -d 'At start, wait up to this many seconds for the broker (fractions allowed), trying again while it is down or its name does not resolve yet: for scripts that start before it' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l will-topic -d 'Topic of the will, published by the broker if this client vanishes' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l will-payload -d 'Payload of the will [default: empty]' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l will-qos -d 'QoS of the will' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand pub" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -l psk -d 'TLS pre-shared key (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l psk-identity -d 'TLS-PSK identity (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l ciphers -d 'OpenSSL cipher list (rustls picks its own safe suites)' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-engine -d 'OpenSSL engine' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l keyform -d 'OpenSSL key form' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-engine-kpass-sha1 -d 'OpenSSL engine key password' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -l proxy -d 'SOCKS5 proxy URL' -r -f
complete -c moth -n "__fish_moth_using_subcommand pub" -s A -d 'Local address to bind to' -r
complete -c moth -n "__fish_moth_using_subcommand pub" -s l -l stdin-line -d 'Send each line of stdin as a message (an empty line is an empty message)'
complete -c moth -n "__fish_moth_using_subcommand pub" -s s -l stdin-file -d 'Send all of stdin as one message'
complete -c moth -n "__fish_moth_using_subcommand pub" -s n -l null-message -d 'Send an empty message (with -r: clear the retained message)'
complete -c moth -n "__fish_moth_using_subcommand pub" -l jsonl -d 'Send one message per stdin line, each a JSON object as `sub --json` prints it (topic, payload, payload_encoding, qos, retain, properties, received_at); what a line gives overrides -t, -q, -r and the property flags'
complete -c moth -n "__fish_moth_using_subcommand pub" -l topic-lines -d 'Send one message per stdin line `TOPIC PAYLOAD` (split at the first space), as `sub -v` prints it'
complete -c moth -n "__fish_moth_using_subcommand pub" -l replay -d 'With --jsonl: keep the gaps between the lines\' received_at times'
complete -c moth -n "__fish_moth_using_subcommand pub" -l template -d 'Fill in placeholders in -t and -m for each message: {seq} (from 1), {ts} (RFC 3339, ms), {unix_ms}, {uuid}, {random:A-B}, {line} (the -l line); {{ and }} for braces'
complete -c moth -n "__fish_moth_using_subcommand pub" -s r -l retain -d 'Ask the broker to retain the message'
complete -c moth -n "__fish_moth_using_subcommand pub" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand pub" -s c -l disable-clean-session -d 'Keep the session after disconnecting (needs -i or -I)'
complete -c moth -n "__fish_moth_using_subcommand pub" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand pub" -l nodelay -d 'Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches itself, so Nagle\'s delay would only hold back the last packet of one)'
complete -c moth -n "__fish_moth_using_subcommand pub" -s d -l debug -d 'Print packets sent and received on stderr (passwords are never shown)'
complete -c moth -n "__fish_moth_using_subcommand pub" -l quiet -d 'Print no runtime errors or warnings (the exit code still tells)'
complete -c moth -n "__fish_moth_using_subcommand pub" -l will-retain -d 'Retain the will'
complete -c moth -n "__fish_moth_using_subcommand pub" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand pub" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand pub" -s S -d 'DNS SRV lookup of the broker'
complete -c moth -n "__fish_moth_using_subcommand pub" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand pub" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand sub" -s t -l topic -d 'Topic filter to subscribe to (repeatable)' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s T -l filter-out -d 'Hide messages whose topic matches this filter (repeatable)' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s U -l unsubscribe -d 'Unsubscribe from this filter after subscribing (repeatable; -t optional)' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s q -l qos -d 'Quality of service to subscribe with: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand sub" -s C -l count -d 'Exit after receiving this many messages' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s W -l timeout -d 'Exit with code 27 if no -C count is reached within this many seconds' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l idle -d 'Exit 0 once this many seconds pass without a message, counted from the SUBACK (fractions allowed): dump what is retained and stop' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l duration -d 'Stop after this many seconds from connecting (fractions allowed) and exit 0: a time-boxed capture' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l random-filter -d 'Print only this percentage of messages, chosen at random (0.1 to 100)' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s F -l format -d 'Format each message, as mosquitto_sub\'s -F (codes below); overrides -v, not -N' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l color -d 'Colour topics, markers and JSON keys: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c moth -n "__fish_moth_using_subcommand sub" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand sub" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s V -l protocol-version -d 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5' -r -f -a "311\t''
5\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand sub" -s i -l id -d 'Client id [default: moth- and a random suffix]' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s I -l id-prefix -d 'Client id prefix; the process id is appended' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s k -l keepalive -d 'Seconds between keep-alive pings, 5 to 65535' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l profile -d 'Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -l config -d 'moth\'s config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -s o -l options-file -d 'Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub or _rr' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -s M -l max-inflight -d 'Maximum QoS 1 and 2 messages in flight at once. Above the broker\'s limit (mosquitto\'s max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s D -l property -d 'MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable; COMMAND is connect, publish, subscribe, unsubscribe or will' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l retry -d 'At start, wait up to this many seconds for the broker (fractions allowed), trying again while it is down or its name does not resolve yet: for scripts that start before it' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l will-topic -d 'Topic of the will, published by the broker if this client vanishes' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -l will-payload -d 'Payload of the will [default: empty]' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -l will-qos -d 'QoS of the will' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand sub" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -l psk -d 'TLS pre-shared key (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l psk-identity -d 'TLS-PSK identity (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l ciphers -d 'OpenSSL cipher list (rustls picks its own safe suites)' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-engine -d 'OpenSSL engine' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l keyform -d 'OpenSSL key form' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-engine-kpass-sha1 -d 'OpenSSL engine key password' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -l proxy -d 'SOCKS5 proxy URL' -r -f
complete -c moth -n "__fish_moth_using_subcommand sub" -s A -d 'Local address to bind to' -r
complete -c moth -n "__fish_moth_using_subcommand sub" -s R -l no-stale -d 'Do not print stale retained messages'
complete -c moth -n "__fish_moth_using_subcommand sub" -s E -l exit-after-sub -d 'Exit once the subscriptions are acknowledged'
complete -c moth -n "__fish_moth_using_subcommand sub" -l retained-only -d 'Print only retained messages; exit at the first message that is not retained'
complete -c moth -n "__fish_moth_using_subcommand sub" -l remove-retained -d 'Clear each retained message received (respects -T)'
complete -c moth -n "__fish_moth_using_subcommand sub" -l retain-as-published -d 'MQTT 5: keep the retain flag as the publisher set it'
complete -c moth -n "__fish_moth_using_subcommand sub" -l no-local -d 'MQTT 5: do not receive the messages this client publishes itself'
complete -c moth -n "__fish_moth_using_subcommand sub" -s v -l verbose -d 'Print the topic before the payload: `topic payload`'
complete -c moth -n "__fish_moth_using_subcommand sub" -s N -l no-newline -d 'Do not print a newline after each message'
complete -c moth -n "__fish_moth_using_subcommand sub" -l pretty -d 'Indent JSON over several lines: --json\'s objects, and %j and %J in -F'
complete -c moth -n "__fish_moth_using_subcommand sub" -s J -l json -d 'One JSON object per message (schema in the README); valid for any payload'
complete -c moth -n "__fish_moth_using_subcommand sub" -l timestamp -d 'Prefix each line with the time it was received'
complete -c moth -n "__fish_moth_using_subcommand sub" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand sub" -s c -l disable-clean-session -d 'Keep the session after disconnecting (needs -i or -I)'
complete -c moth -n "__fish_moth_using_subcommand sub" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand sub" -l nodelay -d 'Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches itself, so Nagle\'s delay would only hold back the last packet of one)'
complete -c moth -n "__fish_moth_using_subcommand sub" -s d -l debug -d 'Print packets sent and received on stderr (passwords are never shown)'
complete -c moth -n "__fish_moth_using_subcommand sub" -l quiet -d 'Print no runtime errors or warnings (the exit code still tells)'
complete -c moth -n "__fish_moth_using_subcommand sub" -l will-retain -d 'Retain the will'
complete -c moth -n "__fish_moth_using_subcommand sub" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand sub" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand sub" -s S -d 'DNS SRV lookup of the broker'
complete -c moth -n "__fish_moth_using_subcommand sub" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand sub" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand rr" -s t -l topic -d 'Topic to send the request to' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s e -l response-topic -d 'Topic to wait for the response on (subscribed before the request is sent)' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s m -l message -d 'Send this request payload' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s f -l file -d 'Send the contents of a file as the request' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -s q -l qos -d 'Quality of service for the request and the response subscription' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand rr" -s C -l count -d 'Exit after this many responses (default 1, or all that come with --idle or --duration)' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s W -l timeout -d 'Exit with code 27 if no response arrives within this many seconds' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l idle -d 'Exit 0 once this many seconds pass without a response, counted from the SUBACK (fractions allowed): collect every answer that comes, then stop' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l duration -d 'Stop after this many seconds from connecting (fractions allowed) and exit 0: collect every answer that comes in that time' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s F -l format -d 'Format each message, as mosquitto_sub\'s -F (codes below); overrides -v, not -N' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l color -d 'Colour topics, markers and JSON keys: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c moth -n "__fish_moth_using_subcommand rr" -l content-type -d 'Content type, e.g. application/json' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l correlation-data -d 'Correlation data to pair an answer with its request' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l message-expiry -d 'Seconds after which the broker drops the message if undelivered' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l payload-format -d 'Payload format indicator: 0 bytes, 1 UTF-8 text' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l user-property -d 'A user property KEY=VALUE (repeatable; order and duplicates kept)' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand rr" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s V -l protocol-version -d 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5' -r -f -a "311\t''
5\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand rr" -s i -l id -d 'Client id [default: moth- and a random suffix]' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s I -l id-prefix -d 'Client id prefix; the process id is appended' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s k -l keepalive -d 'Seconds between keep-alive pings, 5 to 65535' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l profile -d 'Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -l config -d 'moth\'s config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -s o -l options-file -d 'Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub or _rr' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -s M -l max-inflight -d 'Maximum QoS 1 and 2 messages in flight at once. Above the broker\'s limit (mosquitto\'s max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s D -l property -d 'MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable; COMMAND is connect, publish, subscribe, unsubscribe or will' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l retry -d 'At start, wait up to this many seconds for the broker (fractions allowed), trying again while it is down or its name does not resolve yet: for scripts that start before it' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l will-topic -d 'Topic of the will, published by the broker if this client vanishes' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -l will-payload -d 'Payload of the will [default: empty]' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -l will-qos -d 'QoS of the will' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand rr" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -l psk -d 'TLS pre-shared key (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l psk-identity -d 'TLS-PSK identity (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l ciphers -d 'OpenSSL cipher list (rustls picks its own safe suites)' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-engine -d 'OpenSSL engine' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l keyform -d 'OpenSSL key form' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-engine-kpass-sha1 -d 'OpenSSL engine key password' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -l proxy -d 'SOCKS5 proxy URL' -r -f
complete -c moth -n "__fish_moth_using_subcommand rr" -s A -d 'Local address to bind to' -r
complete -c moth -n "__fish_moth_using_subcommand rr" -s s -l stdin-file -d 'Send all of stdin as the request'
complete -c moth -n "__fish_moth_using_subcommand rr" -s n -l null-message -d 'Send an empty request'
complete -c moth -n "__fish_moth_using_subcommand rr" -s v -l verbose -d 'Print the topic before the payload: `topic payload`'
complete -c moth -n "__fish_moth_using_subcommand rr" -s N -l no-newline -d 'Do not print a newline after each message'
complete -c moth -n "__fish_moth_using_subcommand rr" -l pretty -d 'Indent JSON over several lines: --json\'s objects, and %j and %J in -F'
complete -c moth -n "__fish_moth_using_subcommand rr" -s J -l json -d 'One JSON object per message (schema in the README); valid for any payload'
complete -c moth -n "__fish_moth_using_subcommand rr" -l timestamp -d 'Prefix each line with the time it was received'
complete -c moth -n "__fish_moth_using_subcommand rr" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand rr" -s c -l disable-clean-session -d 'Keep the session after disconnecting (needs -i or -I)'
complete -c moth -n "__fish_moth_using_subcommand rr" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand rr" -l nodelay -d 'Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches itself, so Nagle\'s delay would only hold back the last packet of one)'
complete -c moth -n "__fish_moth_using_subcommand rr" -s d -l debug -d 'Print packets sent and received on stderr (passwords are never shown)'
complete -c moth -n "__fish_moth_using_subcommand rr" -l quiet -d 'Print no runtime errors or warnings (the exit code still tells)'
complete -c moth -n "__fish_moth_using_subcommand rr" -l will-retain -d 'Retain the will'
complete -c moth -n "__fish_moth_using_subcommand rr" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand rr" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand rr" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand rr" -s S -d 'DNS SRV lookup of the broker'
complete -c moth -n "__fish_moth_using_subcommand rr" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand rr" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s t -l topic -d 'Topic template: %i client index, %c client id, %u user name, %s sequence number' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s m -l message -d 'Send this text as each payload (pubsub puts its 32-byte latency header before it)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l payload-file -d 'Send this file\'s contents as each payload (pubsub: after the latency header)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s s -l size -d 'Payload size in bytes (at least 32 in pubsub, for the latency header)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s q -l qos -d 'QoS of each publish' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s I -l interval_of_msg -l msg-interval -d 'Milliseconds between messages of each publisher (open loop; 0.001 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l rate -d 'Messages per second from all publishers together (open loop; 0.001 to 1e9)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s L -l limit -d 'Stop after this many messages in all' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l subscribers -d 'Subscribers (each gets every message, unless --sub-topic is a $share/ filter)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l window -d 'Without a rate: messages each publisher may have on their way (sent, not yet received by every subscriber); it waits for arrivals before sending more, so the rate is what the broker delivers' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l sub-topic -d 'Subscribers\' filter [default: the topic template with + for %i, %c, %u and %s]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s c -l count -d 'Clients (connections), up to 10,000,000; with --shard, in all shards together' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s i -l interval -d 'Milliseconds between connection starts (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s R -l connrate -d 'Connections per second, 0.001 to 1e9 [default: 1000]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s n -l startnumber -d 'First client index (client indices end at 4294967295)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l prefix -d 'Client id prefix; ids are PREFIX-INDEX (pubsub\'s subscribers: PREFIX-sub-N) [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub, moth-bench-conn, so that runs of different modes never share an id]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l duration -d 'Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l warmup -d 'Seconds at the start left out of the results (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l shard -d 'Run only this shard of the clients: I/N takes every client whose index % N == I' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l start-at -d 'Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l threads -d 'Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every hand-off on one core: about 0.1 ms less added latency, fewer messages per second' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l ifaddr -d 'Local source addresses to spread connections over, comma-separated (past 64k connections to one broker address: each source address has its own 64k ports)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l json -d 'Write the summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l hdr-out -d 'Write the latency histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l url -d 'Broker URL (mqtt://, mqtts://, ws://, wss://)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s V -l protocol-version -d 'MQTT version: 4 or 311 (3.1.1), or 5' -r -f -a "4\t''
5\t''
311\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l profile -d 'Use this profile of the config file' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l config -d 'Read settings from this config file instead of the default one' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s k -l keepalive -d 'Keep-alive seconds' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l max-inflight -d 'Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker\'s limit)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l template -d 'Fill in placeholders in -t and -m for each message, as pub --template: {seq} (from 1), {ts}, {unix_ms}, {uuid}, {random:A-B}; {{ and }} are braces'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -s r -l retain -d 'Retain each message'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l quiet -d 'No live progress'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "conn" -d 'Open connections and hold them; report connect latency and failures'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "pub" -d 'Publishers only; report send and acknowledgement rates and latency'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "sub" -d 'Subscribers only; count and rate what arrives'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency, loss, duplicates, order'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "merge" -d 'Combine the --json summaries of --shard runs into one (counters, rates, percentiles)'
complete -c moth -n "__fish_moth_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s c -l count -d 'Clients (connections), up to 10,000,000; with --shard, in all shards together' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s i -l interval -d 'Milliseconds between connection starts (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s R -l connrate -d 'Connections per second, 0.001 to 1e9 [default: 1000]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s n -l startnumber -d 'First client index (client indices end at 4294967295)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l prefix -d 'Client id prefix; ids are PREFIX-INDEX (pubsub\'s subscribers: PREFIX-sub-N) [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub, moth-bench-conn, so that runs of different modes never share an id]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l duration -d 'Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l warmup -d 'Seconds at the start left out of the results (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l shard -d 'Run only this shard of the clients: I/N takes every client whose index % N == I' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l start-at -d 'Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l threads -d 'Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every hand-off on one core: about 0.1 ms less added latency, fewer messages per second' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ifaddr -d 'Local source addresses to spread connections over, comma-separated (past 64k connections to one broker address: each source address has its own 64k ports)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l json -d 'Write the summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l hdr-out -d 'Write the latency histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l url -d 'Broker URL (mqtt://, mqtts://, ws://, wss://)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s V -l protocol-version -d 'MQTT version: 4 or 311 (3.1.1), or 5' -r -f -a "4\t''
5\t''
311\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l profile -d 'Use this profile of the config file' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l config -d 'Read settings from this config file instead of the default one' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -s k -l keepalive -d 'Keep-alive seconds' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-inflight -d 'Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker\'s limit)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l quiet -d 'No live progress'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from conn" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s t -l topic -d 'Topic template: %i client index, %c client id, %u user name, %s sequence number' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s m -l message -d 'Send this text as each payload (pubsub puts its 32-byte latency header before it)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l payload-file -d 'Send this file\'s contents as each payload (pubsub: after the latency header)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s s -l size -d 'Payload size in bytes (at least 32 in pubsub, for the latency header)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s q -l qos -d 'QoS of each publish' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s I -l interval_of_msg -l msg-interval -d 'Milliseconds between messages of each publisher (open loop; 0.001 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l rate -d 'Messages per second from all publishers together (open loop; 0.001 to 1e9)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s L -l limit -d 'Stop after this many messages in all' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s c -l count -d 'Clients (connections), up to 10,000,000; with --shard, in all shards together' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s i -l interval -d 'Milliseconds between connection starts (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s R -l connrate -d 'Connections per second, 0.001 to 1e9 [default: 1000]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s n -l startnumber -d 'First client index (client indices end at 4294967295)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l prefix -d 'Client id prefix; ids are PREFIX-INDEX (pubsub\'s subscribers: PREFIX-sub-N) [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub, moth-bench-conn, so that runs of different modes never share an id]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l duration -d 'Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l warmup -d 'Seconds at the start left out of the results (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l shard -d 'Run only this shard of the clients: I/N takes every client whose index % N == I' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l start-at -d 'Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l threads -d 'Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every hand-off on one core: about 0.1 ms less added latency, fewer messages per second' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ifaddr -d 'Local source addresses to spread connections over, comma-separated (past 64k connections to one broker address: each source address has its own 64k ports)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l json -d 'Write the summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l hdr-out -d 'Write the latency histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l url -d 'Broker URL (mqtt://, mqtts://, ws://, wss://)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s V -l protocol-version -d 'MQTT version: 4 or 311 (3.1.1), or 5' -r -f -a "4\t''
5\t''
311\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l profile -d 'Use this profile of the config file' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l config -d 'Read settings from this config file instead of the default one' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s k -l keepalive -d 'Keep-alive seconds' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-inflight -d 'Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker\'s limit)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l template -d 'Fill in placeholders in -t and -m for each message, as pub --template: {seq} (from 1), {ts}, {unix_ms}, {uuid}, {random:A-B}; {{ and }} are braces'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -s r -l retain -d 'Retain each message'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l quiet -d 'No live progress'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pub" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s t -l topic -d 'Topic filter to subscribe to ($share/GROUP/... for shared subscriptions)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s q -l qos -d 'QoS to subscribe with' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s L -l limit -d 'Stop after this many messages in all' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s c -l count -d 'Clients (connections), up to 10,000,000; with --shard, in all shards together' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s i -l interval -d 'Milliseconds between connection starts (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s R -l connrate -d 'Connections per second, 0.001 to 1e9 [default: 1000]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s n -l startnumber -d 'First client index (client indices end at 4294967295)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l prefix -d 'Client id prefix; ids are PREFIX-INDEX (pubsub\'s subscribers: PREFIX-sub-N) [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub, moth-bench-conn, so that runs of different modes never share an id]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l duration -d 'Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l warmup -d 'Seconds at the start left out of the results (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l shard -d 'Run only this shard of the clients: I/N takes every client whose index % N == I' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l start-at -d 'Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l threads -d 'Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every hand-off on one core: about 0.1 ms less added latency, fewer messages per second' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ifaddr -d 'Local source addresses to spread connections over, comma-separated (past 64k connections to one broker address: each source address has its own 64k ports)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l json -d 'Write the summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l hdr-out -d 'Write the latency histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l url -d 'Broker URL (mqtt://, mqtts://, ws://, wss://)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s V -l protocol-version -d 'MQTT version: 4 or 311 (3.1.1), or 5' -r -f -a "4\t''
5\t''
311\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l profile -d 'Use this profile of the config file' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l config -d 'Read settings from this config file instead of the default one' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -s k -l keepalive -d 'Keep-alive seconds' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-inflight -d 'Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker\'s limit)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l quiet -d 'No live progress'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from sub" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s t -l topic -d 'Topic template: %i client index, %c client id, %u user name, %s sequence number' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s m -l message -d 'Send this text as each payload (pubsub puts its 32-byte latency header before it)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l payload-file -d 'Send this file\'s contents as each payload (pubsub: after the latency header)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s s -l size -d 'Payload size in bytes (at least 32 in pubsub, for the latency header)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s q -l qos -d 'QoS of each publish' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s I -l interval_of_msg -l msg-interval -d 'Milliseconds between messages of each publisher (open loop; 0.001 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l rate -d 'Messages per second from all publishers together (open loop; 0.001 to 1e9)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s L -l limit -d 'Stop after this many messages in all' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l subscribers -d 'Subscribers (each gets every message, unless --sub-topic is a $share/ filter)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l window -d 'Without a rate: messages each publisher may have on their way (sent, not yet received by every subscriber); it waits for arrivals before sending more, so the rate is what the broker delivers' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l sub-topic -d 'Subscribers\' filter [default: the topic template with + for %i, %c, %u and %s]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s c -l count -d 'Clients (connections), up to 10,000,000; with --shard, in all shards together' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s i -l interval -d 'Milliseconds between connection starts (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s R -l connrate -d 'Connections per second, 0.001 to 1e9 [default: 1000]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s n -l startnumber -d 'First client index (client indices end at 4294967295)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l prefix -d 'Client id prefix; ids are PREFIX-INDEX (pubsub\'s subscribers: PREFIX-sub-N) [default: moth-bench-MODE: moth-bench-pub, moth-bench-sub, moth-bench-pubsub, moth-bench-conn, so that runs of different modes never share an id]' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l duration -d 'Seconds to run (after warm-up), 0.001 to a year [default: 10, unless -L is given]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l warmup -d 'Seconds at the start left out of the results (0 to a year)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l shard -d 'Run only this shard of the clients: I/N takes every client whose index % N == I' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l start-at -d 'Wait until this wall-clock time to start: RFC 3339 or Unix seconds, at most a day ahead' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l threads -d 'Worker threads [default: 1 for pubsub, one per core otherwise]. One thread keeps every hand-off on one core: about 0.1 ms less added latency, fewer messages per second' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ifaddr -d 'Local source addresses to spread connections over, comma-separated (past 64k connections to one broker address: each source address has its own 64k ports)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l json -d 'Write the summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l hdr-out -d 'Write the latency histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l url -d 'Broker URL (mqtt://, mqtts://, ws://, wss://)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s V -l protocol-version -d 'MQTT version: 4 or 311 (3.1.1), or 5' -r -f -a "4\t''
5\t''
311\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l profile -d 'Use this profile of the config file' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l config -d 'Read settings from this config file instead of the default one' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s k -l keepalive -d 'Keep-alive seconds' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-inflight -d 'Maximum QoS 1/2 messages in flight per publisher (keep at or below the broker\'s limit)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l template -d 'Fill in placeholders in -t and -m for each message, as pub --template: {seq} (from 1), {ts}, {unix_ms}, {uuid}, {random:A-B}; {{ and }} are braces'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s r -l retain -d 'Retain each message'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l quiet -d 'No live progress'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l json -d 'Write the merged summary as JSON to FILE, or - for stdout' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l hdr-out -d 'Write the merged histograms as an HdrHistogram interval log' -r -F
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l max-loss -d 'Exit 99 when more than PERCENT of the expected messages were lost, at any QoS (pubsub; 0 to 100). QoS 1/2 loss fails a run without it' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l max-p99 -d 'Exit 99 when the p99 latency is above MS: end to end from the schedule, or the acknowledgement latency in bench pub' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l max-errors -d 'Pass with up to N failed connections, connections lost for good and refused publishes (they fail the run by default: exit 7, or 12 for refused publishes)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l min-rate -d 'Exit 99 when fewer messages per second arrived (sub, pubsub) or were acknowledged (pub)' -r
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l force -d 'Merge even what is not the shards of one test (a shard twice or missing, another run\'s shard, a run without --shard)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from merge" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "conn" -d 'Open connections and hold them; report connect latency and failures'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "pub" -d 'Publishers only; report send and acknowledgement rates and latency'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "sub" -d 'Subscribers only; count and rate what arrives'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency, loss, duplicates, order'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "merge" -d 'Combine the --json summaries of --shard runs into one (counters, rates, percentiles)'
complete -c moth -n "__fish_moth_using_subcommand bench; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand config; and not __fish_seen_subcommand_from show path help" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "show" -d 'Print the connection settings a command would use and where each comes from (flags, MOTH_* variables, profile, config file, mosquitto option file, default); passwords as ***'
complete -c moth -n "__fish_moth_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "path" -d 'Print the path of the config file moth reads'
complete -c moth -n "__fish_moth_using_subcommand config; and not __fish_seen_subcommand_from show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Show this profile\'s settings [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'Read this config file [env: MOTH_CONFIG]' -r -F
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from show" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from show" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from path" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from path" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the connection settings a command would use and where each comes from (flags, MOTH_* variables, profile, config file, mosquitto option file, default); passwords as ***'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the config file moth reads'
complete -c moth -n "__fish_moth_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand ls" -s t -l topic -d 'Topic filter to watch (repeatable; default #)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s T -l filter-out -d 'Leave out topics that match this filter (repeatable)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s q -l qos -d 'Quality of service to subscribe with: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -s C -l count -d 'Stop after this many messages' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -s W -l timeout -l duration -d 'Stop after this many seconds' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l idle -d 'Stop once this many seconds pass without a message (fractions allowed). Without --idle, -W or -C: --idle 1 and -W 10' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l sort -d 'Order of topics under each level: name, or busiest first by rate, messages or bytes (a level counts everything below it)' -r -f -a "name\t''
rate\t''
messages\t''
bytes\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -l depth -d 'Show this many levels; what lies deeper is summed into one row per subtree (a/b/#)' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l color -d 'Colour the tree: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand ls" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s V -l protocol-version -d 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5' -r -f -a "311\t''
5\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -s i -l id -d 'Client id [default: moth- and a random suffix]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s I -l id-prefix -d 'Client id prefix; the process id is appended' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s k -l keepalive -d 'Seconds between keep-alive pings, 5 to 65535' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l profile -d 'Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -l config -d 'moth\'s config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -s o -l options-file -d 'Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub or _rr' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -s M -l max-inflight -d 'Maximum QoS 1 and 2 messages in flight at once. Above the broker\'s limit (mosquitto\'s max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -s D -l property -d 'MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable; COMMAND is connect, publish, subscribe, unsubscribe or will' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l retry -d 'At start, wait up to this many seconds for the broker (fractions allowed), trying again while it is down or its name does not resolve yet: for scripts that start before it' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l will-topic -d 'Topic of the will, published by the broker if this client vanishes' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -l will-payload -d 'Payload of the will [default: empty]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -l will-qos -d 'QoS of the will' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -l psk -d 'TLS pre-shared key (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l psk-identity -d 'TLS-PSK identity (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l ciphers -d 'OpenSSL cipher list (rustls picks its own safe suites)' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-engine -d 'OpenSSL engine' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l keyform -d 'OpenSSL key form' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-engine-kpass-sha1 -d 'OpenSSL engine key password' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l proxy -d 'SOCKS5 proxy URL' -r -f
complete -c moth -n "__fish_moth_using_subcommand ls" -s A -d 'Local address to bind to' -r
complete -c moth -n "__fish_moth_using_subcommand ls" -l watch -d 'Redraw the tree in place every second while watching, as top does (a terminal only); until Ctrl-C, unless --idle, -W or -C say otherwise'
complete -c moth -n "__fish_moth_using_subcommand ls" -s J -l json -d 'One JSON object per topic, for scripts (last payload whole, base64 when binary)'
complete -c moth -n "__fish_moth_using_subcommand ls" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand ls" -s c -l disable-clean-session -d 'Keep the session after disconnecting (needs -i or -I)'
complete -c moth -n "__fish_moth_using_subcommand ls" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand ls" -l nodelay -d 'Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches itself, so Nagle\'s delay would only hold back the last packet of one)'
complete -c moth -n "__fish_moth_using_subcommand ls" -s d -l debug -d 'Print packets sent and received on stderr (passwords are never shown)'
complete -c moth -n "__fish_moth_using_subcommand ls" -l quiet -d 'Print no runtime errors or warnings (the exit code still tells)'
complete -c moth -n "__fish_moth_using_subcommand ls" -l will-retain -d 'Retain the will'
complete -c moth -n "__fish_moth_using_subcommand ls" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand ls" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand ls" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand ls" -s S -d 'DNS SRV lookup of the broker'
complete -c moth -n "__fish_moth_using_subcommand ls" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand ls" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand ui" -s t -l topic -d 'Topic filter to watch (repeatable; default #)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s T -l filter-out -d 'Leave out topics that match this filter (repeatable)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s q -l qos -d 'Quality of service to subscribe with: 0, 1 or 2' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand ui" -l history -d 'Messages kept per topic, its last included (for the history and the chart)' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l history-total -d 'Older messages kept in all topics together (each topic\'s last is always kept), and at most 64 MiB of their payloads' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -s h -l host -d 'Broker host name or IP address [default: localhost]' -r -f -a "(__fish_print_hostnames)"
complete -c moth -n "__fish_moth_using_subcommand ui" -s p -l port -d 'Broker port [default: 1883, or 8883 with TLS]' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l unix -d 'Connect over a unix domain socket instead of TCP' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s V -l protocol-version -d 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5' -r -f -a "311\t''
5\t''
mqttv311\t''
mqttv5\t''"
complete -c moth -n "__fish_moth_using_subcommand ui" -s i -l id -d 'Client id [default: moth- and a random suffix]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s I -l id-prefix -d 'Client id prefix; the process id is appended' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s k -l keepalive -d 'Seconds between keep-alive pings, 5 to 65535' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -s x -l session-expiry -d 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -s u -l username -d 'User name' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s P -l pw -d 'Password (may begin with -: whatever follows -P is the password). Other users can read it with ps: prefer --pw-file, --pw-prompt, MOTH_PASSWORD or pw-command in a profile' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l profile -d 'Use this profile of the config file ([profile.NAME]) [env: MOTH_PROFILE]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -l config -d 'moth\'s config file [env: MOTH_CONFIG] [default: $XDG_CONFIG_HOME/moth/config.toml]' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -s o -l options-file -d 'Read mosquitto options from FILE (one per line) instead of ~/.config/mosquitto_pub, _sub or _rr' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -s M -l max-inflight -d 'Maximum QoS 1 and 2 messages in flight at once. Above the broker\'s limit (mosquitto\'s max_inflight_messages, 20 by default) an MQTT 3.1.1 broker may drop QoS 2 messages unsaid' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -s D -l property -d 'MQTT 5 property: -D COMMAND NAME VALUE (user-property: NAME KEY VALUE), repeatable; COMMAND is connect, publish, subscribe, unsubscribe or will' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l retry -d 'At start, wait up to this many seconds for the broker (fractions allowed), trying again while it is down or its name does not resolve yet: for scripts that start before it' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l will-topic -d 'Topic of the will, published by the broker if this client vanishes' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -l will-payload -d 'Payload of the will [default: empty]' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -l will-qos -d 'QoS of the will' -r -f -a "0\t''
1\t''
2\t''"
complete -c moth -n "__fish_moth_using_subcommand ui" -l cafile -d 'PEM file of CA certificates that verify the broker (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l capath -d 'Directory of PEM CA certificates (turns TLS on)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l cert -d 'Client certificate, PEM (needs --key)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l key -d 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-version -d 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]' -r -f -a "tlsv1.3\t''
tlsv1.2\t''"
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-keylog -d 'Append the TLS session secrets to FILE (SSLKEYLOGFILE format, for Wireshark); debugging only: whoever reads FILE can decrypt the traffic' -r -F
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-server-name -d 'Check the broker\'s certificate for NAME instead of the host connected to (a tunnel, a port-forward, an IP address)' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -l psk -d 'TLS pre-shared key (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l psk-identity -d 'TLS-PSK identity (rustls has no PSK support)' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l ciphers -d 'OpenSSL cipher list (rustls picks its own safe suites)' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-engine -d 'OpenSSL engine' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l keyform -d 'OpenSSL key form' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-engine-kpass-sha1 -d 'OpenSSL engine key password' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l proxy -d 'SOCKS5 proxy URL' -r -f
complete -c moth -n "__fish_moth_using_subcommand ui" -s A -d 'Local address to bind to' -r
complete -c moth -n "__fish_moth_using_subcommand ui" -l ws -d 'Connect over websockets to -h/-p (path /mqtt)'
complete -c moth -n "__fish_moth_using_subcommand ui" -s c -l disable-clean-session -d 'Keep the session after disconnecting (needs -i or -I)'
complete -c moth -n "__fish_moth_using_subcommand ui" -l pw-prompt -d 'Ask for the password on the terminal, without echo'
complete -c moth -n "__fish_moth_using_subcommand ui" -l nodelay -d 'Accepted for mosquitto compatibility: moth always sends at once (it writes whole batches itself, so Nagle\'s delay would only hold back the last packet of one)'
complete -c moth -n "__fish_moth_using_subcommand ui" -s d -l debug -d 'Print packets sent and received on stderr (passwords are never shown)'
complete -c moth -n "__fish_moth_using_subcommand ui" -l quiet -d 'Print no runtime errors or warnings (the exit code still tells)'
complete -c moth -n "__fish_moth_using_subcommand ui" -l will-retain -d 'Retain the will'
complete -c moth -n "__fish_moth_using_subcommand ui" -l insecure -d 'Do not check the broker\'s host name; without --cafile/--capath, accept any certificate'
complete -c moth -n "__fish_moth_using_subcommand ui" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates (turns TLS on)'
complete -c moth -n "__fish_moth_using_subcommand ui" -l no-tls -d 'Turn TLS off, whatever TLS options a config or option file gives'
complete -c moth -n "__fish_moth_using_subcommand ui" -s S -d 'DNS SRV lookup of the broker'
complete -c moth -n "__fish_moth_using_subcommand ui" -l help -d 'Print help'
complete -c moth -n "__fish_moth_using_subcommand ui" -l version -d 'Print version'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "pub" -d 'Publish messages (as mosquitto_pub)'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "sub" -d 'Subscribe and print messages (as mosquitto_sub)'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "rr" -d 'Send a request and print the response (as mosquitto_rr; MQTT 5 by default)'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "bench" -d 'Load-test a broker: connections, publishers, subscribers, end-to-end latency (pubsub by default)'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "config" -d 'Show the connection settings and where each comes from, or the config file\'s path'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "ls" -d 'Watch a broker for a moment and print the topic tree seen: counts, rates, retained messages, last payloads'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "ui" -d 'Explore a broker in the terminal: a live topic tree, each topic\'s payloads, history and chart; publish and clear retained messages from it'
complete -c moth -n "__fish_moth_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr bench config ls ui help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "conn" -d 'Open connections and hold them; report connect latency and failures'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "pub" -d 'Publishers only; report send and acknowledgement rates and latency'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "sub" -d 'Subscribers only; count and rate what arrives'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency, loss, duplicates, order'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "merge" -d 'Combine the --json summaries of --shard runs into one (counters, rates, percentiles)'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the connection settings a command would use and where each comes from (flags, MOTH_* variables, profile, config file, mosquitto option file, default); passwords as ***'
complete -c moth -n "__fish_moth_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the config file moth reads'
