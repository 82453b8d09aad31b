#!/bin/sh
# GET / of skiff/hello-node: busybox httpd runs this CGI when there is no index.html.
printf 'Content-Type: text/plain\r\n\r\n'
printf 'Hello World! from %s\n' "$(hostname)"
