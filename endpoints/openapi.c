/* openapi.c -- GET|HEAD /openapi.yaml: the API description at the root of
 * the repository, compiled into the binary at build time (the Makefile
 * turns it into a C array with xxd -i), so serving it touches no file. */
#include <microhttpd.h>

#include "endpoint.h"
#include "request.h"

/* Generated from openapi.yaml (build/<mode>/gen/openapi_yaml.c). */
extern unsigned char openapi_yaml[];
extern unsigned int openapi_yaml_len;

static void handle_openapi(struct request *req) {
    request_reply_static(req, MHD_HTTP_OK, "application/yaml", openapi_yaml, openapi_yaml_len);
}

const struct endpoint endpoint_openapi = {
    .path = "/openapi.yaml",
    .methods = METHOD_GET | METHOD_HEAD,
    .handle = handle_openapi,
};
