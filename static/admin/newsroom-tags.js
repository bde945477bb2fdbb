'use strict';
// Tag inputs (articles/tags.py TagNamesWidget): Django admin's own select2, set
// up by the data-* attributes, with one change: a name typed that is not in the
// vocabulary yet is offered after the vocabulary's matches, not before them, so
// Enter while typing "middle e" picks "Middle East" instead of a new tag.
{
    const $ = django.jQuery;

    function tagNames(elements) {
        $(elements).not('[name*=__prefix__]').each(function(i, element) {
            $(element).select2({
                ajax: {data: (params) => ({term: params.term, page: params.page})},
                insertTag: (data, tag) => { data.push(tag); }
            });
        });
    }

    $(function() { tagNames($('.tag-names')); });
    document.addEventListener('formset:added', (event) => {
        tagNames($(event.target).find('.tag-names'));
    });
}
