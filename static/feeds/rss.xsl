<?xml version="1.0" encoding="UTF-8"?>
<!-- The site's RSS feeds as a page, when a feed is opened in a browser.
     No inline style or script: the page is under the site's CSP. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat"/>
  <xsl:template match="/rss/channel">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="title"/> (feed)</title>
        <link rel="stylesheet" href="/static/css/site.css"/>
      </head>
      <body>
        <header class="site-header">
          <div class="site-header-inner">
            <a class="brand" href="/">Newsroom</a>
          </div>
        </header>
        <div class="layout">
          <main id="main">
            <p class="kicker">Feed</p>
            <h1 class="page-title"><xsl:value-of select="title"/></h1>
            <p class="feed-note">This is an RSS feed: copy its address into a feed reader to follow
              <a href="{link}"><xsl:value-of select="title"/></a>. <xsl:value-of select="description"/></p>
            <ul class="headline-list">
              <xsl:for-each select="item">
                <li class="headline-item">
                  <h2 class="headline-title" dir="auto"><a href="{link}"><xsl:value-of select="title"/></a></h2>
                  <p class="headline-meta"><xsl:value-of select="pubDate"/></p>
                </li>
              </xsl:for-each>
            </ul>
          </main>
        </div>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
