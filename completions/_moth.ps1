
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'moth' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'moth'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'moth' {
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages (as mosquitto_pub)')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe and print messages (as mosquitto_sub)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'moth;pub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Send this message')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Send this message')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Send the contents of a file as one message (binary-safe)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the contents of a file as one message (binary-safe)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Publish the message this many times (with -m, -f, -s or -n)')
            [CompletionResult]::new('--repeat-delay', '--repeat-delay', [CompletionResultType]::ParameterName, 'Seconds to wait after each delivery before the next --repeat (fractions allowed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host name or IP address [default: localhost]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host name or IP address [default: localhost]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, or 8883 with TLS]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, or 8883 with TLS]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect over a unix domain socket instead of TCP')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: moth- and a random suffix]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: moth- and a random suffix]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Seconds between keep-alive pings, 5 to 65535')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Seconds between keep-alive pings, 5 to 65535')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password')
            [CompletionResult]::new('-M', '-M ', [CompletionResultType]::ParameterName, 'Maximum QoS 1 and 2 messages in flight at once')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'Maximum QoS 1 and 2 messages in flight at once')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Topic of the will, published by the broker if this client vanishes')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Payload of the will [default: empty]')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'QoS of the will')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'PEM file of CA certificates that verify the broker (turns TLS on)')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Directory of PEM CA certificates (turns TLS on)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate, PEM (needs --key)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]')
            [CompletionResult]::new('--psk', '--psk', [CompletionResultType]::ParameterName, 'TLS pre-shared key (rustls has no PSK support)')
            [CompletionResult]::new('--psk-identity', '--psk-identity', [CompletionResultType]::ParameterName, 'TLS-PSK identity (rustls has no PSK support)')
            [CompletionResult]::new('--ciphers', '--ciphers', [CompletionResultType]::ParameterName, 'OpenSSL cipher list (rustls picks its own safe suites)')
            [CompletionResult]::new('--tls-engine', '--tls-engine', [CompletionResultType]::ParameterName, 'OpenSSL engine')
            [CompletionResult]::new('--keyform', '--keyform', [CompletionResultType]::ParameterName, 'OpenSSL key form')
            [CompletionResult]::new('--tls-engine-kpass-sha1', '--tls-engine-kpass-sha1', [CompletionResultType]::ParameterName, 'OpenSSL engine key password')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'SOCKS5 proxy URL')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Local address to bind to')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message (an empty line is an empty message)')
            [CompletionResult]::new('--stdin-line', '--stdin-line', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message (an empty line is an empty message)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Send all of stdin as one message')
            [CompletionResult]::new('--stdin-file', '--stdin-file', [CompletionResultType]::ParameterName, 'Send all of stdin as one message')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send an empty message (with -r: clear the retained message)')
            [CompletionResult]::new('--null-message', '--null-message', [CompletionResultType]::ParameterName, 'Send an empty message (with -r: clear the retained message)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Keep the session after disconnecting (needs -i or -I)')
            [CompletionResult]::new('--disable-clean-session', '--disable-clean-session', [CompletionResultType]::ParameterName, 'Keep the session after disconnecting (needs -i or -I)')
            [CompletionResult]::new('--nodelay', '--nodelay', [CompletionResultType]::ParameterName, 'Disable Nagle''s algorithm (lower latency for small messages)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Print packets sent and received on stderr (passwords are never shown)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print packets sent and received on stderr (passwords are never shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no runtime errors or warnings (the exit code still tells)')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check the broker''s host name; without --cafile/--capath, accept any certificate')
            [CompletionResult]::new('--tls-use-os-certs', '--tls-use-os-certs', [CompletionResultType]::ParameterName, 'Trust the operating system''s CA certificates (turns TLS on)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'DNS SRV lookup of the broker')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'moth;sub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Hide messages whose topic matches this filter (repeatable)')
            [CompletionResult]::new('--filter-out', '--filter-out', [CompletionResultType]::ParameterName, 'Hide messages whose topic matches this filter (repeatable)')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'Unsubscribe from this filter after subscribing (repeatable; -t optional)')
            [CompletionResult]::new('--unsubscribe', '--unsubscribe', [CompletionResultType]::ParameterName, 'Unsubscribe from this filter after subscribing (repeatable; -t optional)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quality of service to subscribe with: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Quality of service to subscribe with: 0, 1 or 2')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Exit after receiving this many messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after receiving this many messages')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Exit with code 27 if no -C count is reached within this many seconds')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Exit with code 27 if no -C count is reached within this many seconds')
            [CompletionResult]::new('--random-filter', '--random-filter', [CompletionResultType]::ParameterName, 'Print only this percentage of messages, chosen at random (0.1 to 100)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host name or IP address [default: localhost]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host name or IP address [default: localhost]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, or 8883 with TLS]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, or 8883 with TLS]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws:// or wss://, with optional user:pass@ and /topic')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect over a unix domain socket instead of TCP')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT protocol version: 311 (default) or 5; also mqttv311, mqttv5')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: moth- and a random suffix]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: moth- and a random suffix]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix; the process id is appended')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Seconds between keep-alive pings, 5 to 65535')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Seconds between keep-alive pings, 5 to 65535')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'MQTT 5 session expiry in seconds; -1 or ∞ for never [default: ∞ with -c, else 0]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password')
            [CompletionResult]::new('-M', '-M ', [CompletionResultType]::ParameterName, 'Maximum QoS 1 and 2 messages in flight at once')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'Maximum QoS 1 and 2 messages in flight at once')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Topic of the will, published by the broker if this client vanishes')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Payload of the will [default: empty]')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'QoS of the will')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'PEM file of CA certificates that verify the broker (turns TLS on)')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Directory of PEM CA certificates (turns TLS on)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate, PEM (needs --key)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key, PEM: PKCS#1, PKCS#8 or SEC1 (needs --cert)')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'TLS version to use: tlsv1.3 or tlsv1.2 [default: either]')
            [CompletionResult]::new('--psk', '--psk', [CompletionResultType]::ParameterName, 'TLS pre-shared key (rustls has no PSK support)')
            [CompletionResult]::new('--psk-identity', '--psk-identity', [CompletionResultType]::ParameterName, 'TLS-PSK identity (rustls has no PSK support)')
            [CompletionResult]::new('--ciphers', '--ciphers', [CompletionResultType]::ParameterName, 'OpenSSL cipher list (rustls picks its own safe suites)')
            [CompletionResult]::new('--tls-engine', '--tls-engine', [CompletionResultType]::ParameterName, 'OpenSSL engine')
            [CompletionResult]::new('--keyform', '--keyform', [CompletionResultType]::ParameterName, 'OpenSSL key form')
            [CompletionResult]::new('--tls-engine-kpass-sha1', '--tls-engine-kpass-sha1', [CompletionResultType]::ParameterName, 'OpenSSL engine key password')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'SOCKS5 proxy URL')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Local address to bind to')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Do not print stale retained messages')
            [CompletionResult]::new('--no-stale', '--no-stale', [CompletionResultType]::ParameterName, 'Do not print stale retained messages')
            [CompletionResult]::new('-E', '-E ', [CompletionResultType]::ParameterName, 'Exit once the subscriptions are acknowledged')
            [CompletionResult]::new('--exit-after-sub', '--exit-after-sub', [CompletionResultType]::ParameterName, 'Exit once the subscriptions are acknowledged')
            [CompletionResult]::new('--retained-only', '--retained-only', [CompletionResultType]::ParameterName, 'Print only retained messages; exit at the first message that is not retained')
            [CompletionResult]::new('--remove-retained', '--remove-retained', [CompletionResultType]::ParameterName, 'Clear each retained message received (respects -T)')
            [CompletionResult]::new('--retain-as-published', '--retain-as-published', [CompletionResultType]::ParameterName, 'MQTT 5: keep the retain flag as the publisher set it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the topic before the payload: `topic payload`')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the topic before the payload: `topic payload`')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Do not print a newline after each payload')
            [CompletionResult]::new('--no-newline', '--no-newline', [CompletionResultType]::ParameterName, 'Do not print a newline after each payload')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Keep the session after disconnecting (needs -i or -I)')
            [CompletionResult]::new('--disable-clean-session', '--disable-clean-session', [CompletionResultType]::ParameterName, 'Keep the session after disconnecting (needs -i or -I)')
            [CompletionResult]::new('--nodelay', '--nodelay', [CompletionResultType]::ParameterName, 'Disable Nagle''s algorithm (lower latency for small messages)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Print packets sent and received on stderr (passwords are never shown)')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print packets sent and received on stderr (passwords are never shown)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no runtime errors or warnings (the exit code still tells)')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not check the broker''s host name; without --cafile/--capath, accept any certificate')
            [CompletionResult]::new('--tls-use-os-certs', '--tls-use-os-certs', [CompletionResultType]::ParameterName, 'Trust the operating system''s CA certificates (turns TLS on)')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'DNS SRV lookup of the broker')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'moth;help' {
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages (as mosquitto_pub)')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe and print messages (as mosquitto_sub)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'moth;help;pub' {
            break
        }
        'moth;help;sub' {
            break
        }
        'moth;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
