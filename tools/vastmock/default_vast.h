/* default_vast.h -- the mock upstream's canned VAST 3.0 answer (~1 KB).
 *
 * vastmock answers every ad request with this document once its scenario is
 * used up; tests/unit/test_vast.c checks this very document, so what the
 * mock serves and what vast_check accepts cannot drift apart. A header, not
 * a .c file, so that both binaries take it without a shared object. */
#ifndef VASTMOCK_DEFAULT_VAST_H
#define VASTMOCK_DEFAULT_VAST_H

static const char vastmock_default_vast[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<VAST version=\"3.0\">\n"
    " <Ad id=\"vastmock-0001\">\n"
    "  <InLine>\n"
    "   <AdSystem version=\"1.0\">vastmock</AdSystem>\n"
    "   <AdTitle>vastmock sample pre-roll</AdTitle>\n"
    "   <Impression id=\"vastmock\">"
    "<![CDATA[http://127.0.0.1/impression?ad=vastmock-0001]]></Impression>\n"
    "   <Creatives>\n"
    "    <Creative id=\"vastmock-creative-1\" sequence=\"1\">\n"
    "     <Linear>\n"
    "      <Duration>00:00:15</Duration>\n"
    "      <TrackingEvents>\n"
    "       <Tracking event=\"start\">"
    "<![CDATA[http://127.0.0.1/track?e=start]]></Tracking>\n"
    "       <Tracking event=\"midpoint\">"
    "<![CDATA[http://127.0.0.1/track?e=midpoint]]></Tracking>\n"
    "       <Tracking event=\"complete\">"
    "<![CDATA[http://127.0.0.1/track?e=complete]]></Tracking>\n"
    "      </TrackingEvents>\n"
    "      <VideoClicks>\n"
    "       <ClickThrough><![CDATA[http://127.0.0.1/click]]></ClickThrough>\n"
    "      </VideoClicks>\n"
    "      <MediaFiles>\n"
    "       <MediaFile delivery=\"progressive\" type=\"video/mp4\""
    " width=\"640\" height=\"360\" bitrate=\"800\">"
    "<![CDATA[http://127.0.0.1/ad.mp4]]></MediaFile>\n"
    "      </MediaFiles>\n"
    "     </Linear>\n"
    "    </Creative>\n"
    "   </Creatives>\n"
    "  </InLine>\n"
    " </Ad>\n"
    "</VAST>\n";

#endif
