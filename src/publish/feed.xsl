<?xml version="1.0" encoding="utf-8"?>
<!-- Makes a loa feed (Atom or RSS) opened in a browser a readable page. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="utf-8" indent="yes"/>
  <xsl:template match="/">
    <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
    <html lang="vi">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/></title>
        <style>
          body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
          .note { background: #fff8e1; border: 1px solid #f0d890; padding: .6rem .9rem; border-radius: 4px; font-size: .92rem; }
          article { border-bottom: 1px solid #e4e4e4; padding: 1rem 0; }
          article h2 { font-size: 1.15rem; margin: 0 0 .2rem; }
          .meta { color: #666; font-size: .85rem; }
          a { color: #0b57d0; }
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="$title"/></h1>
        <p class="note">Đây là một nguồn tin (feed). Sao chép địa chỉ của trang này vào ứng dụng đọc tin để theo dõi.
          This is a news feed: copy this page's address into a feed reader to subscribe.
          <a href="{atom:feed/atom:link[@rel='alternate']/@href | rss/channel/link}">Đọc tin trên trang web / Read the news as a web page</a></p>
        <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
        <xsl:for-each select="atom:feed/atom:link[@rel='next'] | rss/channel/atom:link[@rel='next']">
          <p><a href="{@href}">Tin cũ hơn / Older news →</a></p>
        </xsl:for-each>
      </body>
    </html>
  </xsl:template>
  <xsl:template match="atom:entry">
    <article>
      <h2><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <div class="meta"><xsl:value-of select="atom:author/atom:name"/> · <xsl:value-of select="substring(atom:published, 1, 10)"/></div>
      <p><xsl:value-of select="atom:summary" disable-output-escaping="yes"/></p>
    </article>
  </xsl:template>
  <xsl:template match="item">
    <article>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <div class="meta"><xsl:value-of select="dc:creator"/> · <xsl:value-of select="pubDate"/></div>
      <p><xsl:value-of select="description" disable-output-escaping="yes"/></p>
    </article>
  </xsl:template>
</xsl:stylesheet>
